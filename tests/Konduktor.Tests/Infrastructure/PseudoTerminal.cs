using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;

namespace Konduktor.Tests.Infrastructure;

/// <summary>
/// A process run in a terminal window of its own, as a person's shell runs <c>konduktor up</c>: a pseudo-terminal whose
/// far side is the process's stdin, stdout, stderr and controlling terminal (<c>setsid -c</c>, so the process leads the
/// terminal's session and the kernel tells it when the window goes away). <see cref="CloseWindowAsync"/> closes the near
/// side, which is what a terminal emulator's window closing does: the kernel hangs the terminal up (SIGHUP).
/// </summary>
public sealed partial class PseudoTerminal : IAsyncDisposable
{
    private const int ReadWrite = 2;
    private const int NoControllingTerminal = 0x100;
    private const int CloseOnExec = 0x80000;
    private const int SetFlags = 4;
    private const int NonBlocking = 0x800;
    private const int TryAgain = 11;
    private readonly int _master;
    private readonly StringBuilder _screen = new();
    private readonly CancellationTokenSource _stopReading = new();
    private readonly Task _reader;
    private bool _closed;

    private PseudoTerminal(int master, Process process)
    {
        _master = master;
        Process = process;
        _reader = Task.Run(ReadAsync);
    }

    public Process Process { get; }

    /// <summary>Everything the process wrote to its terminal so far.</summary>
    public string Screen
    {
        get
        {
            lock (_screen)
            {
                return _screen.ToString();
            }
        }
    }

    /// <summary>Starts <paramref name="start"/>'s program (its arguments and environment) on a new terminal (Linux: util-linux's setsid).</summary>
    public static PseudoTerminal Start(ProcessStartInfo start)
    {
        var master = OpenMaster(ReadWrite | NoControllingTerminal | CloseOnExec); // only the window holds the near side
        if (master < 0 || GrantAccess(master) != 0 || Unlock(master) != 0)
        {
            throw new InvalidOperationException($"no pseudo-terminal (errno {Marshal.GetLastPInvokeError()})");
        }

        var name = new byte[256];
        if (SlaveName(master, name, name.Length) != 0 || SetFileFlags(master, SetFlags, NonBlocking) != 0)
        {
            throw new InvalidOperationException($"no pseudo-terminal name (errno {Marshal.GetLastPInvokeError()})");
        }

        var shell = new ProcessStartInfo("sh") { UseShellExecute = false };
        shell.ArgumentList.Add("-c");
        shell.ArgumentList.Add("exec setsid -c \"$0\" \"$@\" < \"$KONDUKTOR_TEST_TTY\" > \"$KONDUKTOR_TEST_TTY\" 2>&1");
        shell.ArgumentList.Add(start.FileName);
        foreach (var argument in start.ArgumentList)
        {
            shell.ArgumentList.Add(argument);
        }

        foreach (var (variable, value) in start.Environment)
        {
            shell.Environment[variable] = value;
        }

        shell.Environment["KONDUKTOR_TEST_TTY"] = Encoding.UTF8.GetString(name, 0, Array.IndexOf(name, (byte)0));
        return new PseudoTerminal(master, Process.Start(shell)!);
    }

    /// <summary>The window closes: the terminal's near side goes, and the kernel hangs the far side up.</summary>
    public async Task CloseWindowAsync()
    {
        if (_closed)
        {
            return;
        }

        _closed = true;
        await _stopReading.CancelAsync();
        await _reader;
        _ = Close(_master);
    }

    public async ValueTask DisposeAsync()
    {
        await CloseWindowAsync();
        if (!Process.HasExited)
        {
            Process.Kill(entireProcessTree: true);
            await Process.WaitForExitAsync();
        }

        Process.Dispose();
        _stopReading.Dispose();
    }

    /// <summary>Drains what the process writes (a full terminal would block it); the far side reads nothing from us.</summary>
    private async Task ReadAsync()
    {
        var buffer = new byte[4096];
        while (!_stopReading.IsCancellationRequested)
        {
            var read = Read(_master, buffer, buffer.Length);
            if (read > 0)
            {
                lock (_screen)
                {
                    _screen.Append(Encoding.UTF8.GetString(buffer, 0, (int)read));
                }

                continue;
            }

            if (read < 0 && Marshal.GetLastPInvokeError() != TryAgain)
            {
                return; // the far side is gone (EIO once the process and its children have closed it)
            }

            try
            {
                await Task.Delay(20, _stopReading.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    [LibraryImport("libc", EntryPoint = "posix_openpt", SetLastError = true)]
    private static partial int OpenMaster(int flags);

    [LibraryImport("libc", EntryPoint = "grantpt", SetLastError = true)]
    private static partial int GrantAccess(int fd);

    [LibraryImport("libc", EntryPoint = "unlockpt", SetLastError = true)]
    private static partial int Unlock(int fd);

    [LibraryImport("libc", EntryPoint = "ptsname_r", SetLastError = true)]
    private static partial int SlaveName(int fd, byte[] buffer, nint length);

    [LibraryImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    private static partial int SetFileFlags(int fd, int command, int flags);

    [LibraryImport("libc", EntryPoint = "read", SetLastError = true)]
    private static partial nint Read(int fd, byte[] buffer, nint count);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);
}

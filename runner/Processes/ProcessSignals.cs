using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Konduktor.Runner.Processes;

/// <summary>Graceful stops: SIGTERM first, so a child can save its state, then the whole tree is killed after a grace period.</summary>
public static partial class ProcessSignals
{
    private const int SigTerm = 15;
    private const int SigKill = 9;
    private const int NotPermitted = 1;

    /// <returns>Whether it ended on its own (false: it was killed when the grace period ran out).</returns>
    /// <summary>How long a stopped agent's (or setup script's) group has to end on SIGTERM before SIGKILL: a stop ends a session within seconds.</summary>
    public static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(2);

    public static async Task<bool> StopAsync(Process process, TimeSpan grace)
    {
        if (process.HasExited)
        {
            return true;
        }

        if (OperatingSystem.IsWindows() || Kill(process.Id, SigTerm) != 0)
        {
            process.Kill(entireProcessTree: true);
        }

        using var timeout = new CancellationTokenSource(grace);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(CancellationToken.None);
            return false;
        }
    }

    /// <summary>
    /// Stops a process group (an agent started by <see cref="AgentLauncher"/> leads its own): SIGTERM to the group, so
    /// everything in it may save its state, then SIGKILL to whatever is still in it after the grace period. Signals and
    /// nothing else: no process table is read, so it works the same on Linux and macOS.
    /// </summary>
    public static async Task StopGroupAsync(int group, TimeSpan grace)
    {
        if (OperatingSystem.IsWindows())
        {
            using var process = System.Diagnostics.Process.GetProcessById(group);
            process.Kill(entireProcessTree: true);
            return;
        }

        if (!SignalGroup(group, SigTerm))
        {
            return;
        }

        var deadline = DateTime.UtcNow + grace;
        while ((GroupExists(group) || Kill(group, 0) == 0) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }

        SignalGroup(group, SigKill);
    }

    /// <summary>Asks a process group to end (SIGTERM), without waiting: the agent's supervisor waits on its agent itself.</summary>
    public static void TerminateGroup(int group)
    {
        if (!OperatingSystem.IsWindows())
        {
            SignalGroup(group, SigTerm);
        }
    }

    /// <summary>Ends a process group at once (SIGKILL): a runner shutting down or a session that may not go on.</summary>
    public static void KillGroup(int group)
    {
        if (!OperatingSystem.IsWindows())
        {
            SignalGroup(group, SigKill);
        }
    }

    /// <summary>
    /// The group, or — in the moment between its start and its <c>setsid()</c>, before it leads a group — the launcher
    /// itself, which would otherwise go on to start the agent after it was told to stop.
    /// </summary>
    private static bool SignalGroup(int group, int signal) => Kill(-group, signal) == 0 || Kill(group, signal) == 0;

    /// <summary>Whether any process (a zombie too, until it is reaped) is still in the group.</summary>
    public static bool GroupExists(int group) => !OperatingSystem.IsWindows() && Kill(-group, 0) == 0;

    /// <summary>Whether the process exists and has not ended (kill 0; on Linux a zombie, ended but not reaped, counts as ended).</summary>
    public static bool IsAlive(int pid)
    {
        if (OperatingSystem.IsWindows())
        {
            try
            {
                using var process = System.Diagnostics.Process.GetProcessById(pid);
                return !process.HasExited;
            }
            catch (ArgumentException)
            {
                return false;
            }
        }

        if (Kill(pid, 0) != 0 && Marshal.GetLastPInvokeError() != NotPermitted)
        {
            return false;
        }

        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..][0] is not ('Z' or 'X');
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return true;
        }
    }

    /// <summary>The process's command line, to check a recorded pid still is what we started (`ps`, POSIX; /proc where there is no `ps`).</summary>
    public static string CommandLine(int pid)
    {
        try
        {
            using var ps = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("ps", ["-o", "args=", "-p", pid.ToString(System.Globalization.CultureInfo.InvariantCulture)])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            })!;
            var output = ps.StandardOutput.ReadToEnd();
            ps.WaitForExit();
            return output.Trim();
        }
        catch (System.ComponentModel.Win32Exception)
        {
            try
            {
                return File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ');
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return "";
            }
        }
    }

    /// <summary>Sends SIGUSR2 (a program's own request; its number differs between Linux and macOS); false when the process is gone.</summary>
    public static bool SendUser2(int pid) => !OperatingSystem.IsWindows() && Kill(pid, OperatingSystem.IsMacOS() ? 31 : 12) == 0;

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}

using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Konduktor.Runner;

/// <summary>
/// Starts the agent as the leader of a new session and process group, so stop, crash clean-up and shutdown signal
/// the group (everything the agent started that did not leave it) with no process-table walk — on Linux and macOS
/// alike. .NET cannot start a process in a new group, so the runner starts its own binary with <see cref="Verb"/>,
/// which calls <c>setsid()</c> and <c>execv</c>s the agent: same pid, same pipes, same environment.
/// </summary>
public static partial class AgentLauncher
{
    /// <summary>The hidden first argument that makes `konduktor` become the agent in a new session.</summary>
    public const string Verb = "__agent-session";

    /// <summary>The same start, through the launcher; the program is resolved here, against the runner's PATH, as Process.Start would.</summary>
    public static ProcessStartInfo InNewSession(ProcessStartInfo start)
    {
        if (OperatingSystem.IsWindows())
        {
            return start;
        }

        var program = Executable.Find(start.FileName) ?? throw new System.ComponentModel.Win32Exception(2, $"{start.FileName} was not found");
        var self = Environment.ProcessPath ?? throw new InvalidOperationException("the runner does not know its own executable");
        var launcher = new ProcessStartInfo(self)
        {
            WorkingDirectory = start.WorkingDirectory,
            RedirectStandardInput = start.RedirectStandardInput,
            RedirectStandardOutput = start.RedirectStandardOutput,
            RedirectStandardError = start.RedirectStandardError,
            UseShellExecute = false,
        };
        if (Path.GetFileNameWithoutExtension(self) == "dotnet")
        {
            // Run as `dotnet konduktor.dll`: the launcher is the same assembly.
            launcher.ArgumentList.Add(Environment.GetCommandLineArgs()[0]);
        }

        launcher.ArgumentList.Add(Verb);
        launcher.ArgumentList.Add(program);
        foreach (var argument in start.ArgumentList)
        {
            launcher.ArgumentList.Add(argument);
        }

        launcher.Environment.Clear();
        foreach (var (name, value) in start.Environment)
        {
            launcher.Environment[name] = value;
        }

        return launcher;
    }

    /// <summary>The launcher's whole life: a new session, then the agent in its place. Returns only when exec failed.</summary>
    public static int Exec(IReadOnlyList<string> command)
    {
        if (command.Count == 0)
        {
            Console.Error.WriteLine("error: nothing to start");
            return 127;
        }

        if (SetSid() < 0)
        {
            Console.Error.WriteLine($"error: could not start a new session for the agent (errno {Marshal.GetLastPInvokeError()})");
            return 127;
        }

        var argv = new nint[command.Count + 1];
        for (var i = 0; i < command.Count; i++)
        {
            argv[i] = Marshal.StringToCoTaskMemUTF8(command[i]);
        }

        ExecV(command[0], argv);
        Console.Error.WriteLine($"error: could not start {command[0]} (errno {Marshal.GetLastPInvokeError()})");
        return 127;
    }

    [LibraryImport("libc", EntryPoint = "setsid", SetLastError = true)]
    private static partial int SetSid();

    [LibraryImport("libc", EntryPoint = "execv", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int ExecV(string path, nint[] argv);
}

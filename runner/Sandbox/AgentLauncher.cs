using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;

namespace Konduktor.Runner.Sandbox;

/// <summary>
/// Starts the agent in a session and process group of its own, under a small supervisor that holds the runner's lease
/// on the machine itself. .NET cannot start a process in a new group, so the runner starts its own binary with
/// <see cref="Verb"/>: it calls <c>setsid()</c> (becoming the group's leader, whose pid the runner records) and starts
/// the agent as its child with the same stdin, stdout, stderr and environment. Stop, shutdown and crash clean-up
/// signal the group. The supervisor ends the group when the runner is gone (its parent changed) or when the lease
/// deadline the runner keeps in a file passes — a runner frozen, hung or cut off from Konduktor — so the agent has
/// stopped before Konduktor may orphan the session and resume it elsewhere, on Linux and macOS alike.
/// </summary>
public static partial class AgentLauncher
{
    /// <summary>The hidden first argument that makes `konduktor` the agent's supervisor.</summary>
    public const string Verb = "__agent-session";

    private static readonly TimeSpan Look = TimeSpan.FromMilliseconds(250);

    /// <summary>The same start, through the supervisor; the program is resolved here, against the runner's PATH, as Process.Start would.</summary>
    public static ProcessStartInfo InNewSession(ProcessStartInfo start, string leaseFile)
    {
        if (OperatingSystem.IsWindows())
        {
            return start;
        }

        var program = Executable.Find(start.FileName) ?? throw new System.ComponentModel.Win32Exception(2, $"{start.FileName} was not found");
        var (self, host) = Self();
        return ProcessStarts.Through(start, self, [.. host, Verb, leaseFile, program, .. start.ArgumentList]);
    }

    /// <summary>The runner's own binary, to run it with a hidden verb: its executable, and its assembly when run as <c>dotnet konduktor.dll</c>.</summary>
    public static (string Executable, string[] Assembly) Self()
    {
        var self = Environment.ProcessPath ?? throw new InvalidOperationException("the runner does not know its own executable");
        return (self, Path.GetFileNameWithoutExtension(self) == "dotnet" ? [Path.GetFullPath(Environment.GetCommandLineArgs()[0])] : []);
    }

    /// <summary>Where the runner keeps a session's lease deadline (Unix milliseconds, wall clock) for its supervisor.</summary>
    public static void WriteLease(string leaseFile, DateTimeOffset deadline)
    {
        var next = leaseFile + ".next";
        File.WriteAllText(next, deadline.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture));
        File.Move(next, leaseFile, overwrite: true);
    }

    /// <summary>The supervisor's whole life: a new session, the agent as its child, its exit code as its own.</summary>
    public static int Supervise(string[] arguments)
    {
        if (arguments is not [var leaseFile, var program, .. var rest])
        {
            Console.Error.WriteLine("error: usage: konduktor __agent-session LEASE_FILE PROGRAM [ARGUMENTS...]");
            return 127;
        }

        if (SetSid() < 0)
        {
            Console.Error.WriteLine($"error: could not start a new session for the agent (errno {Marshal.GetLastPInvokeError()})");
            return 127;
        }

        var runner = GetParentPid();
        if (StartChild(program, rest) is not { } agent)
        {
            return 127;
        }

        // A stop signals the whole group: the agent ends, the supervisor waits for it and reports its exit code.
        using var stops = new StopSignalsHeld();
        while (!agent.WaitForExit(Look))
        {
            var why = GetParentPid() != runner ? "its runner is gone"
                : LeaseDeadline(leaseFile) is { } deadline && DateTimeOffset.UtcNow > deadline ? "its runner's lease on the session lapsed (the runner is frozen, hung or out of Konduktor's reach)"
                : null;
            if (why is not null)
            {
                Console.Error.WriteLine($"konduktor: stopping the agent: {why}");
                StopGroup(agent);
                break;
            }
        }

        agent.WaitForExit();
        return agent.ExitCode;
    }

    /// <summary>The agent as this process's child, with its stdin, stdout and stderr; null, and why on stderr, when it cannot start.</summary>
    internal static Process? StartChild(string program, string[] arguments)
    {
        try
        {
            return Process.Start(new ProcessStartInfo(program, arguments) { UseShellExecute = false })!;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            Console.Error.WriteLine($"error: could not start {program}: {e.Message}");
            return null;
        }
    }

    /// <summary>While held, SIGTERM and SIGINT do not end this process: it outlives its child, to report the child's exit code.</summary>
    internal sealed class StopSignalsHeld : IDisposable
    {
        private readonly PosixSignalRegistration _term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context => context.Cancel = true);
        private readonly PosixSignalRegistration _interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, context => context.Cancel = true);

        public void Dispose()
        {
            _term.Dispose();
            _interrupt.Dispose();
        }
    }

    private static void StopGroup(Process agent)
    {
        var group = Environment.ProcessId;
        ProcessSignals.TerminateGroup(group);
        if (!agent.WaitForExit(ProcessSignals.StopGrace))
        {
            ProcessSignals.KillGroup(group);
        }
    }

    private static DateTimeOffset? LeaseDeadline(string leaseFile)
    {
        try
        {
            return long.TryParse(File.ReadAllText(leaseFile), NumberStyles.None, CultureInfo.InvariantCulture, out var milliseconds)
                ? DateTimeOffset.FromUnixTimeMilliseconds(milliseconds)
                : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    [LibraryImport("libc", EntryPoint = "setsid", SetLastError = true)]
    private static partial int SetSid();

    [LibraryImport("libc", EntryPoint = "getppid")]
    private static partial int GetParentPid();
}

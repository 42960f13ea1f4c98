using System.Diagnostics;

namespace Konduktor.Runner.Sandbox;

/// <summary>
/// Keeps the agent to its room. The agent is untrusted (it reads untrusted text and runs unattended with broad
/// permissions) yet runs as the runner's user. On Linux it runs under bubblewrap with an allow-list view of the machine
/// (<see cref="SandboxPolicy"/>): the system read-only, its worktree, its repository and a home of its own, in pid and
/// IPC namespaces of its own and without capabilities. On macOS the same rules are a Seatbelt profile
/// (<see cref="SeatbeltProfile"/>), run by <c>sandbox-exec</c>. Where no sandbox can be made the runner starts no agent unless
/// told to with <c>--allow-unsandboxed</c>, and says why with the fix.
/// </summary>
public sealed class AgentSandbox
{
    private const string Bubblewrap = "bwrap";
    private const string SandboxExec = "/usr/bin/sandbox-exec";

    private readonly IReadOnlyList<string> _system;
    private readonly IReadOnlyList<string> _programFolders;
    private readonly IReadOnlyList<string> _sharedFolders;
    private readonly IReadOnlyList<string> _hidden;

    private AgentSandbox(string? bubblewrap, string? seatbelt, IReadOnlyList<string> system, string? missing, IReadOnlyList<string>? programFolders = null,
        IReadOnlyList<string>? sharedFolders = null, IReadOnlyList<string>? hidden = null)
    {
        BubblewrapPath = bubblewrap;
        SeatbeltPath = seatbelt;
        _system = system;
        Missing = missing;
        (_programFolders, _sharedFolders, _hidden) = (programFolders ?? [], sharedFolders ?? [], hidden ?? []);
    }

    /// <summary>bubblewrap, when agents run confined on Linux; null otherwise.</summary>
    public string? BubblewrapPath { get; }

    /// <summary><c>sandbox-exec</c>, when agents run confined on macOS; null otherwise.</summary>
    public string? SeatbeltPath { get; }

    /// <summary>Why agents cannot be confined here, with the fix, in one line; null when they can.</summary>
    public string? Missing { get; }

    public bool Isolates => BubblewrapPath is not null || SeatbeltPath is not null;

    /// <summary>Whether agents get a network of their own, reaching out only through the session's <see cref="AgentProxy"/>.</summary>
    public bool ConfinesNetwork => BubblewrapPath is not null;

    public string Description => (BubblewrapPath, SeatbeltPath) switch
    {
        ({ }, _) => "agents run confined with bubblewrap: the system read-only, their own worktree, repository and home, nothing else of this machine; the network only through their session's allow-list",
        (_, { }) => "agents run confined with Seatbelt (sandbox-exec): the system read-only, their own worktree, repository and home, not the person's home; the network is not confined on macOS yet",
        _ => "agents are not confined",
    };

    /// <summary>Finds the system's sandbox and checks that it can be made here (containers may forbid user namespaces).</summary>
    /// <param name="programFolders">Where the agent's programs live (read-only inside).</param>
    /// <param name="sharedFolders">Folders the person shares with every agent (read-write inside).</param>
    /// <param name="hidden">Folders kept from agents where the sandbox shows the machine less a deny-list of folders (macOS).</param>
    public static async Task<AgentSandbox> DetectAsync(IReadOnlyList<string> programFolders, IReadOnlyList<string> sharedFolders, IReadOnlyList<string> hidden, CancellationToken ct)
    {
        if (Environment.GetEnvironmentVariable("KONDUKTOR_SANDBOX") is "off")
        {
            return new AgentSandbox(null, null, [], "KONDUKTOR_SANDBOX=off is set");
        }

        using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
        limit.CancelAfter(TimeSpan.FromSeconds(10));
        if (OperatingSystem.IsMacOS())
        {
            if (!File.Exists(SandboxExec))
            {
                return new AgentSandbox(null, null, [], $"{SandboxExec} is missing on this Mac: run runners for untrusted work on Linux with bubblewrap");
            }

            var (works, _, refusal) = await ProcessRunner.CaptureAsync(SandboxExec, ["-p", "(version 1)(allow default)", "/usr/bin/true"], null, limit.Token);
            return works == 0
                ? new AgentSandbox(null, SandboxExec, [], null, programFolders, sharedFolders, hidden)
                : new AgentSandbox(null, null, [], $"sandbox-exec cannot make a sandbox here ({refusal.Trim()})");
        }

        if (!OperatingSystem.IsLinux())
        {
            return new AgentSandbox(null, null, [], "this system has no sandbox Konduktor can make (Linux with bubblewrap and macOS have one): run runners for untrusted work there");
        }

        if (Executable.Find(Bubblewrap) is not { } path)
        {
            return new AgentSandbox(null, null, [], "bubblewrap is not installed: install it (`apt install bubblewrap` or `dnf install bubblewrap`) and restart the runner");
        }

        var system = SandboxPolicy.SystemArguments(programFolders, sharedFolders);
        var (exitCode, _, stderr) = await ProcessRunner.CaptureAsync(path, [.. system, "--", "true"], null, limit.Token);
        return exitCode == 0
            ? new AgentSandbox(path, null, system, null)
            : new AgentSandbox(null, null, [], $"bubblewrap cannot make a sandbox here ({stderr.Trim()}): allow unprivileged user namespaces, or run the runner where they are allowed");
    }

    /// <summary>
    /// The agent's start info run inside its room: the same program, arguments, environment and working directory, with
    /// HOME and TMPDIR inside. Unconfined (as allowed with <c>--allow-unsandboxed</c>) when there is no sandbox.
    /// </summary>
    public ProcessStartInfo Confine(ProcessStartInfo agent, AgentRoom room)
    {
        agent.Environment["HOME"] = room.Home;
        if (SeatbeltPath is not null)
        {
            var temporary = Directory.CreateDirectory(SeatbeltProfile.TemporaryFolder(room)).FullName;
            agent.Environment["TMPDIR"] = temporary;
            return ProcessStarts.Through(agent, SeatbeltPath, ["-p", SeatbeltProfile.For(room, _programFolders, _sharedFolders, _hidden), agent.FileName, .. agent.ArgumentList]);
        }

        agent.Environment["TMPDIR"] = "/tmp";
        if (BubblewrapPath is null)
        {
            return agent;
        }

        List<string> command = [agent.FileName, .. agent.ArgumentList];
        if (room.ProxySocket is not null)
        {
            // The runner's binary first, relaying the sandbox's proxy port to the session's proxy, the agent its child.
            AgentNetwork.PointAtProxy(agent);
            PushBroker.PushThroughBroker(agent);
            var (self, assembly) = AgentLauncher.Self();
            command = [self, .. assembly, AgentNetwork.Verb, $"{AgentNetwork.SocketFolder}/{AgentNetwork.SocketName}", agent.FileName, .. agent.ArgumentList];
        }

        return ProcessStarts.Through(agent, BubblewrapPath, [.. _system, .. SandboxPolicy.RoomArguments(room), "--", .. command]);
    }

    /// <summary>
    /// The runner's own git, which needs the network and the person's git credentials: the machine as it is, except
    /// that the folders Konduktor keeps private are empty (a tmpfs over each) with the mirrors and worktrees bound back,
    /// in a pid namespace of its own.
    /// </summary>
    public ProcessStartInfo ConfineRunnerGit(ProcessStartInfo git, IEnumerable<string> hidden, IEnumerable<string> shown)
    {
        if (BubblewrapPath is null)
        {
            return git;
        }

        var hiddenFolders = hidden.Select(Path.GetFullPath).Where(Directory.Exists).Distinct().ToList();
        List<string> arguments = ["--bind", "/", "/", "--dev-bind", "/dev", "/dev", "--unshare-pid", "--unshare-ipc", "--proc", "/proc"];
        foreach (var folder in hiddenFolders.OrderBy(f => f.Length))
        {
            arguments.AddRange(["--tmpfs", folder]);
        }

        foreach (var folder in shown.Select(Path.GetFullPath).Where(f => Directory.Exists(f) && hiddenFolders.Any(h => SandboxPolicy.IsWithin(f, h))).Distinct().OrderBy(f => f.Length))
        {
            arguments.AddRange(["--bind", folder, folder]);
        }

        if (git.WorkingDirectory is { Length: > 0 } directory)
        {
            arguments.AddRange(["--chdir", directory]);
        }

        return ProcessStarts.Through(git, BubblewrapPath, [.. arguments, "--", git.FileName, .. git.ArgumentList]);
    }
}

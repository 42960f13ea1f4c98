using System.Diagnostics;

namespace Konduktor.Runner.Sandbox;

/// <summary>
/// Keeps the agent to its room. The agent is untrusted (it reads untrusted text and runs unattended with broad
/// permissions) yet runs as the runner's user. On Linux it runs under bubblewrap with an allow-list view of the machine
/// (<see cref="SandboxPolicy"/>): the system read-only, its worktree, its repository and a home of its own, in pid and
/// IPC namespaces of its own and without capabilities. Where no sandbox can be made the runner starts no agent unless
/// told to with <c>--allow-unsandboxed</c>, and says why with the fix.
/// </summary>
public sealed class AgentSandbox
{
    private const string Bubblewrap = "bwrap";

    private readonly IReadOnlyList<string> _system;

    private AgentSandbox(string? bubblewrap, IReadOnlyList<string> system, string? missing)
    {
        BubblewrapPath = bubblewrap;
        _system = system;
        Missing = missing;
    }

    /// <summary>bubblewrap, when agents run confined; null when they do not.</summary>
    public string? BubblewrapPath { get; }

    /// <summary>Why agents cannot be confined here, with the fix, in one line; null when they can.</summary>
    public string? Missing { get; }

    public bool Isolates => BubblewrapPath is not null;

    public string Description => Isolates
        ? "agents run confined with bubblewrap: the system read-only, their own worktree, repository and home, nothing else of this machine"
        : "agents are not confined";

    /// <summary>Finds bubblewrap and checks that it can make the sandbox here (containers may forbid user namespaces).</summary>
    /// <param name="programFolders">Where the agent's programs live (read-only inside).</param>
    /// <param name="sharedFolders">Folders the person shares with every agent (read-write inside).</param>
    public static async Task<AgentSandbox> DetectAsync(IReadOnlyList<string> programFolders, IReadOnlyList<string> sharedFolders, CancellationToken ct)
    {
        if (Environment.GetEnvironmentVariable("KONDUKTOR_SANDBOX") is "off")
        {
            return new AgentSandbox(null, [], "KONDUKTOR_SANDBOX=off is set");
        }

        if (!OperatingSystem.IsLinux())
        {
            return new AgentSandbox(null, [], "this system has no sandbox Konduktor can make yet (Linux with bubblewrap has one): run runners for untrusted work on Linux");
        }

        if (Executable.Find(Bubblewrap) is not { } path)
        {
            return new AgentSandbox(null, [], "bubblewrap is not installed: install it (`apt install bubblewrap` or `dnf install bubblewrap`) and restart the runner");
        }

        var system = SandboxPolicy.SystemArguments(programFolders, sharedFolders);
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
        limit.CancelAfter(TimeSpan.FromSeconds(10));
        var (exitCode, _, stderr) = await ProcessRunner.CaptureAsync(path, [.. system, "--", "true"], null, limit.Token);
        return exitCode == 0
            ? new AgentSandbox(path, system, null)
            : new AgentSandbox(null, [], $"bubblewrap cannot make a sandbox here ({stderr.Trim()}): allow unprivileged user namespaces, or run the runner where they are allowed");
    }

    /// <summary>
    /// The agent's start info run inside its room: the same program, arguments, environment and working directory, with
    /// HOME and TMPDIR inside. Unconfined (as allowed with <c>--allow-unsandboxed</c>) when there is no sandbox.
    /// </summary>
    public ProcessStartInfo Confine(ProcessStartInfo agent, AgentRoom room)
    {
        agent.Environment["HOME"] = room.Home;
        agent.Environment["TMPDIR"] = "/tmp";
        if (BubblewrapPath is null)
        {
            return agent;
        }

        return ProcessStarts.Through(agent, BubblewrapPath, [.. _system, .. SandboxPolicy.RoomArguments(room), "--", agent.FileName, .. agent.ArgumentList]);
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

using System.Diagnostics;

namespace Konduktor.Runner.Sandbox;

/// <summary>
/// Keeps the agent out of Konduktor's own files. The agent is untrusted (it reads untrusted text and runs with broad
/// permissions) yet runs as the runner's user, who can read KONDUKTOR_HOME: the person's token, the runner's credential,
/// Azurite's key and data. On Linux the agent runs under bubblewrap: the whole filesystem as it is, except that the
/// folders Konduktor keeps private are empty (a tmpfs over each), with the session's own worktree, its repository and
/// the agent's home bound back; and in its own pid namespace, so it cannot read other processes' memory or environment
/// (Azurite's key, the runner's credential). Where bubblewrap is missing or cannot make namespaces, the runner says so
/// when it starts, with the risk that remains. (macOS: no isolation yet; its sandbox is not testable on our machines.)
/// </summary>
public sealed class AgentSandbox
{
    private const string Bubblewrap = "bwrap";

    private AgentSandbox(string? bubblewrap, string? risk)
    {
        BubblewrapPath = bubblewrap;
        Risk = risk;
    }

    /// <summary>bubblewrap, when agents run isolated; null when they do not.</summary>
    public string? BubblewrapPath { get; }

    /// <summary>What an agent could reach because it is not isolated, and how to fix that; null when it is isolated.</summary>
    public string? Risk { get; }

    public bool Isolates => BubblewrapPath is not null;

    public string Description => Isolates ? "agents run isolated with bubblewrap: Konduktor's files are out of their reach" : "agents are not isolated";

    /// <summary>Finds bubblewrap and checks that it can make the namespaces it needs here (containers may forbid them).</summary>
    public static async Task<AgentSandbox> DetectAsync(CancellationToken ct)
    {
        if (Environment.GetEnvironmentVariable("KONDUKTOR_SANDBOX") is "off")
        {
            return new AgentSandbox(null, "agents are not isolated: KONDUKTOR_SANDBOX=off, so an agent could read KONDUKTOR_HOME (the person's token, runner credentials, Azurite's key)");
        }

        if (!OperatingSystem.IsLinux())
        {
            return new AgentSandbox(null, "agents are not isolated on this system yet: they run as this user and could read KONDUKTOR_HOME (the person's token, runner credentials, Azurite's key); run runners for untrusted work on Linux with bubblewrap");
        }

        if (Executable.Find(Bubblewrap) is not { } path)
        {
            return new AgentSandbox(null, "agents are not isolated: bubblewrap is not installed, so an agent could read KONDUKTOR_HOME (the person's token, runner credentials, Azurite's key) — install it (`apt install bubblewrap` or `dnf install bubblewrap`) and restart the runner");
        }

        using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
        limit.CancelAfter(TimeSpan.FromSeconds(10));
        var (exitCode, _, stderr) = await ProcessRunner.CaptureAsync(path, [.. BaseArguments(), "true"], null, limit.Token);
        return exitCode == 0
            ? new AgentSandbox(path, null)
            : new AgentSandbox(null, $"agents are not isolated: bubblewrap cannot make namespaces here ({stderr.Trim()}), so an agent could read KONDUKTOR_HOME — allow unprivileged user namespaces, or run the runner where they are allowed");
    }

    /// <summary>
    /// The agent's start info, run inside the sandbox: the same program, arguments, environment and working directory.
    /// </summary>
    /// <param name="hidden">Folders the agent must not see (KONDUKTOR_HOME, the runner's work dir): empty inside.</param>
    /// <param name="shown">Folders inside those that the agent needs, read-write (its worktree, its repository, its home).</param>
    /// <param name="readOnly">Files inside them it needs to read (its system prompt).</param>
    public ProcessStartInfo Wrap(ProcessStartInfo agent, IEnumerable<string> hidden, IEnumerable<string> shown, IEnumerable<string> readOnly)
    {
        if (BubblewrapPath is null)
        {
            return agent;
        }

        var hiddenFolders = hidden.Select(Path.GetFullPath).Where(Directory.Exists).Distinct().ToList();
        bool IsHidden(string path) => hiddenFolders.Any(h => path == h || path.StartsWith(h + Path.DirectorySeparatorChar, StringComparison.Ordinal));
        var arguments = BaseArguments().ToList();
        foreach (var folder in hiddenFolders.OrderBy(f => f.Length))
        {
            arguments.AddRange(["--tmpfs", folder]);
        }

        // Bound back after the tmpfs, parents before children, only what lies inside a hidden folder (the rest is there already).
        foreach (var folder in shown.Select(Path.GetFullPath).Where(f => Directory.Exists(f) && IsHidden(f)).Distinct().OrderBy(f => f.Length))
        {
            arguments.AddRange(["--bind", folder, folder]);
        }

        foreach (var file in readOnly.Select(Path.GetFullPath).Where(f => File.Exists(f) && IsHidden(f)))
        {
            arguments.AddRange(["--ro-bind", file, file]);
        }

        arguments.AddRange(["--chdir", agent.WorkingDirectory, "--", agent.FileName]);
        arguments.AddRange(agent.ArgumentList);
        return ProcessStarts.Through(agent, BubblewrapPath, arguments);
    }

    /// <summary>Everything as it is, but a pid and IPC namespace of its own, and a /proc that shows only the agent's processes.</summary>
    private static IEnumerable<string> BaseArguments() =>
        ["--bind", "/", "/", "--dev-bind", "/dev", "/dev", "--unshare-pid", "--unshare-ipc", "--proc", "/proc"];
}

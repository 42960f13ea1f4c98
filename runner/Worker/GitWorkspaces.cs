using Konduktor.Core.Changes;
using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Konduktor.Runner.Worker;

/// <summary>
/// One bare mirror per repository (fetched before each session) and one worktree per task on its own branch.
/// Remote branches are fetched to <c>refs/remotes/origin/*</c>, so a fetch never moves a task's local branch.
/// </summary>
public sealed partial class GitWorkspaces(string workDirectory)
{
    private const string TrailersFile = "konduktor-trailers";
    private const string OwnerFile = "konduktor-task.json";

    private const string CommitMsgHook = """
        #!/bin/sh
        # Konduktor: every commit made in a task's worktree names its task and session.
        trailers="$(git rev-parse --git-dir)/konduktor-trailers"
        [ -f "$trailers" ] || exit 0
        while IFS= read -r trailer; do
          [ -n "$trailer" ] && git interpret-trailers --in-place --if-exists addIfDifferent --trailer "$trailer" "$1"
        done < "$trailers"
        exit 0

        """;

    private readonly ConcurrentDictionary<string, SemaphoreSlim> _locks = new();

    public string WorkDirectory => workDirectory;

    /// <summary>
    /// Where the runner's own git runs: agents write to mirrors and worktrees (config, hooks, attributes), and git can be
    /// made to run programs from those, so the runner's git runs in the agents' sandbox, with hooks and fsmonitor off.
    /// </summary>
    public Func<System.Diagnostics.ProcessStartInfo, System.Diagnostics.ProcessStartInfo>? Confine { get; set; }

    /// <summary>The folders the runner's git works in: every mirror and every worktree, nothing else of the work dir.</summary>
    public IReadOnlyList<string> GitFolders => [Path.Combine(workDirectory, "repos"), Path.Combine(workDirectory, "worktrees")];

    public string MirrorPath(string repository) => Path.Combine(workDirectory, "repos", RepositoryKey(repository) + ".git");

    public string WorktreePath(string repository, string branch) =>
        Path.Combine(workDirectory, "worktrees", RepositoryKey(repository), Sanitize(branch.Replace("konduktor/", "", StringComparison.Ordinal)));

    /// <summary>
    /// Fetches the mirror and returns the task's worktree on its branch, creating either when missing. With
    /// <paramref name="fresh"/> (a scheduled agent's run) the worktree is reset to the default branch as fetched now.
    /// </summary>
    public async Task<string> PrepareAsync(string repository, string defaultBranch, string branch, Guid workspaceId, Guid taskId, Guid sessionId, CancellationToken ct, bool fresh = false)
    {
        if (!SafeRef().IsMatch(branch) || !SafeRef().IsMatch(defaultBranch))
        {
            throw new ProcessFailedException($"refusing an unsafe branch name '{branch}'");
        }

        var mirror = MirrorPath(repository);
        var worktree = WorktreePath(repository, branch);
        var gate = _locks.GetOrAdd(mirror, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(ct);
        try
        {
            await FetchMirrorAsync(repository, mirror, ct);
            if (!File.Exists(Path.Combine(worktree, ".git")))
            {
                await AddWorktreeAsync(mirror, worktree, branch, defaultBranch, ct);
            }
        }
        finally
        {
            gate.Release();
        }

        if (fresh)
        {
            await Git(worktree, ct, "reset", "--quiet", "--hard", $"refs/remotes/origin/{defaultBranch}");
            await Git(worktree, ct, "clean", "--quiet", "-fd");
        }

        var gitDirectory = await GitDirectoryAsync(worktree, ct);
        AgentWrittenFiles.Write(Path.Combine(gitDirectory, TrailersFile), gitDirectory, $"Konduktor-Task: {taskId:D}\nKonduktor-Session: {sessionId:D}\n");
        AgentWrittenFiles.Write(Path.Combine(gitDirectory, OwnerFile), gitDirectory, JsonSerializer.Serialize(new WorktreeOwner(workspaceId, taskId, branch, defaultBranch, mirror), RunnerFilesJson.Default.WorktreeOwner));
        return worktree;
    }

    private static WorktreeOwner? Owner(string json)
    {
        try
        {
            return JsonSerializer.Deserialize(json, RunnerFilesJson.Default.WorktreeOwner);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>Whether git versions a path of the worktree.</summary>
    public async Task<bool> IsVersionedAsync(string worktree, string relative, CancellationToken ct) =>
        (await Git(worktree, ct, "ls-files", "--", relative)).Trim().Length > 0;

    /// <summary>The repository's bare mirror, cloned when missing (whole or not at all), its commit hook current, fetched now.</summary>
    private async Task FetchMirrorAsync(string repository, string mirror, CancellationToken ct)
    {
        if (!Directory.Exists(mirror))
        {
            Directory.CreateDirectory(Path.GetDirectoryName(mirror)!);
            var partial = mirror + ".partial-" + Guid.NewGuid().ToString("N")[..8];
            await Git(null, ct, "clone", "--bare", "--quiet", "--", repository, partial);
            await Git(partial, ct, "config", "remote.origin.fetch", "+refs/heads/*:refs/remotes/origin/*");
            Directory.Move(partial, mirror);
        }

        await File.WriteAllTextAsync(Path.Combine(mirror, "hooks", "commit-msg"), CommitMsgHook.ReplaceLineEndings("\n"), ct);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(Path.Combine(mirror, "hooks", "commit-msg"), (UnixFileMode)0b111_101_101);
        }

        await Git(mirror, ct, "fetch", "--prune", "--quiet", "origin");
    }

    /// <summary>The branch's worktree: the local branch, else the remote's, else a new branch from the default branch.</summary>
    private async Task AddWorktreeAsync(string mirror, string worktree, string branch, string defaultBranch, CancellationToken ct)
    {
        await Git(mirror, ct, "worktree", "prune");
        Directory.CreateDirectory(Path.GetDirectoryName(worktree)!);
        if (await GitSucceedsAsync(mirror, ct, "show-ref", "--verify", "--quiet", $"refs/heads/{branch}"))
        {
            await Git(mirror, ct, "worktree", "add", "--quiet", worktree, branch);
        }
        else if (await GitSucceedsAsync(mirror, ct, "show-ref", "--verify", "--quiet", $"refs/remotes/origin/{branch}"))
        {
            await Git(mirror, ct, "worktree", "add", "--quiet", "-b", branch, worktree, $"refs/remotes/origin/{branch}");
        }
        else
        {
            await Git(mirror, ct, "worktree", "add", "--quiet", "--no-track", "-b", branch, worktree, $"refs/remotes/origin/{defaultBranch}");
        }

        await Git(mirror, ct, "config", $"branch.{branch}.remote", "origin");
        await Git(mirror, ct, "config", $"branch.{branch}.merge", $"refs/heads/{branch}");
    }

    /// <summary>The worktree's own git directory (where Konduktor keeps what it knows of the worktree).</summary>
    /// <remarks>The worktree's <c>.git</c> file is the agent's to change: a git folder that is not one of the mirror's worktrees is refused.</remarks>
    public async Task<string> GitDirectoryAsync(string worktree, CancellationToken ct)
    {
        var gitDirectory = (await Git(worktree, ct, "rev-parse", "--absolute-git-dir")).Trim();
        var worktrees = Path.Combine(workDirectory, "repos");
        return Path.GetFullPath(gitDirectory) is var full && SandboxPolicy.IsWithin(full, worktrees) && Path.GetFileName(Path.GetDirectoryName(full)) == "worktrees"
            && AgentWrittenFiles.WhyNotPlain(full, worktrees) is null
            ? full
            : throw new ProcessFailedException($"the worktree {worktree} names a git folder outside its repository ({gitDirectory}); remove the worktree to start it afresh");
    }

    /// <summary>
    /// Removes the worktrees of tasks that are Done or Closed (or gone) — never one with uncommitted changes or
    /// commits its remote lacks: those are kept and reported — after <paramref name="beforeRemoval"/> (the cleanup
    /// script) had its turn in it. Then prunes, and measures the disk used.
    /// </summary>
    public async Task<CleanupReport> CleanupAsync(Func<IReadOnlyList<Konduktor.Core.Sessions.WorktreeTask>, Task<IReadOnlyList<Konduktor.Core.Sessions.WorktreeTask>>> statesOf, ISet<Guid> busyTasks,
        Func<string, string, Task> beforeRemoval, CancellationToken ct)
    {
        var worktrees = new List<(string Path, WorktreeOwner Owner)>();
        var root = Path.Combine(workDirectory, "worktrees");
        foreach (var gitFile in Directory.Exists(root) ? Directory.EnumerateFiles(root, ".git", new EnumerationOptions { RecurseSubdirectories = true, MaxRecursionDepth = 2, AttributesToSkip = 0 }) : [])
        {
            var worktree = Path.GetDirectoryName(gitFile)!;
            string gitDirectory;
            try
            {
                gitDirectory = await GitDirectoryAsync(worktree, ct);
            }
            catch (ProcessFailedException)
            {
                continue;
            }

            // What the worktree's git folder says of its task is the agent's to change, but for the mirror, which is where the folder is.
            if (AgentWrittenFiles.ReadText(Path.Combine(gitDirectory, OwnerFile), gitDirectory) is { } text && Owner(text) is { } found)
            {
                worktrees.Add((worktree, found with { Mirror = Path.GetDirectoryName(Path.GetDirectoryName(gitDirectory))! }));
            }
        }

        var states = worktrees.Count == 0 ? [] : await statesOf(worktrees.Select(w => new Konduktor.Core.Sessions.WorktreeTask(w.Owner.WorkspaceId, w.Owner.TaskId)).ToList());
        var finished = states.Where(s => s.Status is null or "Done" or "Closed").Select(s => s.TaskId).ToHashSet();
        var removed = new List<string>();
        var kept = new List<string>();
        // A scheduled agent's worktree (no task) is refreshed and reused on every run: never removed here.
        foreach (var (worktree, owner) in worktrees.Where(w => w.Owner.TaskId != Guid.Empty && finished.Contains(w.Owner.TaskId) && !busyTasks.Contains(w.Owner.TaskId)))
        {
            var changes = (await Git(worktree, ct, "status", "--porcelain", "--ignore-submodules=all")).Trim();
            var unpushed = await UnpushedCommitsAsync(worktree, owner.Branch, owner.DefaultBranch, ct);
            if (changes.Length > 0 || unpushed > 0)
            {
                kept.Add($"{Path.GetFileName(worktree)} ({(changes.Length > 0 ? "uncommitted changes" : "")}{(changes.Length > 0 && unpushed > 0 ? ", " : "")}{(unpushed > 0 ? $"{unpushed} unpushed commit(s)" : "")})");
                continue;
            }

            await beforeRemoval(worktree, await GitDirectoryAsync(worktree, ct));
            await Git(owner.Mirror, ct, "worktree", "remove", "--force", worktree);
            removed.Add(Path.GetFileName(worktree));
        }

        foreach (var mirror in Directory.Exists(Path.Combine(workDirectory, "repos")) ? Directory.GetDirectories(Path.Combine(workDirectory, "repos"), "*.git") : [])
        {
            await Git(mirror, ct, "worktree", "prune");
        }

        var bytes = new DirectoryInfo(workDirectory).EnumerateFiles("*", new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true, AttributesToSkip = FileAttributes.ReparsePoint }).Sum(f => f.Length);
        return new CleanupReport(removed, kept, bytes);
    }

    /// <summary>Commits on the task branch that its remote does not have (all of them past the default branch when it has none).</summary>
    public async Task<int> UnpushedCommitsAsync(string worktree, string branch, string defaultBranch, CancellationToken ct)
    {
        var remote = await GitSucceedsAsync(worktree, ct, "show-ref", "--verify", "--quiet", $"refs/remotes/origin/{branch}")
            ? $"refs/remotes/origin/{branch}"
            : $"refs/remotes/origin/{defaultBranch}";
        var count = await Git(worktree, ct, "rev-list", "--count", $"{remote}..HEAD");
        return int.Parse(count.Trim(), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>How far the worktree's branch is ahead of the default branch as fetched, and its head commit.</summary>
    public async Task<(int Ahead, string Head)> AheadOfDefaultAsync(string worktree, string defaultBranch, CancellationToken ct)
    {
        var count = await Git(worktree, ct, "rev-list", "--count", $"refs/remotes/origin/{defaultBranch}..HEAD");
        var head = await Git(worktree, ct, "rev-parse", "HEAD");
        return (int.Parse(count.Trim(), System.Globalization.CultureInfo.InvariantCulture), head.Trim());
    }

    /// <summary>
    /// What the task's branch changes against its base (the merge base with the remote's default branch): files with
    /// lines added and removed (renames followed), the commits with their trailers, and the diff, cut at the limit.
    /// </summary>
    public async Task<ChangeSet> ChangeSetAsync(string worktree, string defaultBranch, string branch, CancellationToken ct)
    {
        var baseCommit = (await Git(worktree, ct, "merge-base", $"refs/remotes/origin/{defaultBranch}", "HEAD")).Trim();
        var head = (await Git(worktree, ct, "rev-parse", "HEAD")).Trim();
        var files = ChangeSetReading.Numstat(await Git(worktree, ct, "diff", "--numstat", "-z", "-M", "--no-ext-diff", baseCommit, head));
        var commits = ChangeSetReading.Log(await Git(worktree, ct, "log", "--reverse", $"--max-count={ChangeSetRules.MaxCommits}",
            "--format=%H%x1f%an%x1f%aI%x1f%s%x1f%(trailers:only,unfold)%x1e", $"{baseCommit}..{head}"));
        var (diff, truncated) = await ProcessRunner.RunCappedAsync("git", GitArguments(worktree, ["diff", "-M", "--no-color", "--no-ext-diff", baseCommit, head]), ChangeSetRules.MaxDiffChars, ct, Confine);
        return new ChangeSet
        {
            Branch = branch, Base = defaultBranch, BaseCommit = baseCommit, HeadCommit = head,
            Files = files.Take(ChangeSetRules.MaxFiles).ToList(), MoreFiles = Math.Max(0, files.Count - ChangeSetRules.MaxFiles),
            Commits = commits, Diff = diff, Truncated = truncated,
        };
    }

    /// <summary>
    /// Brings a kept worktree's branch in line with the remote's (just fetched) before an agent works in it: another
    /// runner may have pushed to it since. Behind: fast-forwarded. Ahead (this runner's unpushed commits): kept, the
    /// session pushes them. Both (an earlier session here was cut off while the branch moved on elsewhere): the local
    /// commits are pushed to a backup branch, so they are never only on this machine, and the worktree starts from the
    /// remote's branch. Returns what it did, for the session's log; null when there was nothing to do.
    /// </summary>
    public async Task<string?> CatchUpAsync(string worktree, string branch, CancellationToken ct)
    {
        var remote = $"refs/remotes/origin/{branch}";
        if (!await GitSucceedsAsync(worktree, ct, "show-ref", "--verify", "--quiet", remote))
        {
            return null;
        }

        var (local, theirs) = ((await Git(worktree, ct, "rev-parse", "HEAD")).Trim(), (await Git(worktree, ct, "rev-parse", remote)).Trim());
        if (local == theirs || await GitSucceedsAsync(worktree, ct, "merge-base", "--is-ancestor", theirs, local))
        {
            return null;
        }

        if (await GitSucceedsAsync(worktree, ct, "merge-base", "--is-ancestor", local, theirs))
        {
            await Git(worktree, ct, "merge", "--quiet", "--ff-only", remote);
            return $"brought {branch} up to date with the remote (another runner pushed to it since this worktree was last used)";
        }

        var backup = $"{branch}-unpushed-{DateTimeOffset.UtcNow:yyyyMMddHHmmss}";
        await Git(worktree, ct, "push", "--quiet", "origin", $"{local}:refs/heads/{backup}");
        await Git(worktree, ct, "reset", "--quiet", "--keep", remote);
        return $"this runner's {branch} had commits the remote lacks while the remote's moved on (an earlier session here was cut off before it could push): they are kept on the remote as {backup}, and the worktree starts from the remote's {branch}";
    }

    /// <summary>
    /// Pushes a commit to the task's branch — the worktree's HEAD after a session, or one the agent asks for through the
    /// broker — and fetches it back; git's reason when the remote refuses.
    /// </summary>
    public async Task PushCommitAsync(string worktree, string commit, string branch, bool force, CancellationToken ct)
    {
        await Git(worktree, ct, "push", "--quiet", "origin", $"{(force ? "+" : "")}{commit}:refs/heads/{branch}");
        await Git(worktree, ct, "fetch", "--quiet", "origin", $"+refs/heads/{branch}:refs/remotes/origin/{branch}");
    }

    public Task PushAsync(string worktree, string branch, CancellationToken ct) => PushCommitAsync(worktree, "HEAD", branch, force: false, ct);

    /// <summary>A folder name for a repository: readable, and unique even when two names sanitize alike.</summary>
    public static string RepositoryKey(string repository)
    {
        var trimmed = repository.Trim().TrimEnd('/');
        var readable = Sanitize(Path.GetFileNameWithoutExtension(trimmed.Split('/', ':', '\\')[^1]));
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(trimmed)))[..10];
        return $"{(readable.Length == 0 ? "repo" : readable)}-{hash}";
    }

    private static string Sanitize(string text) => NotSafe().Replace(text, "-").Trim('-', '.');

    private Task<string> Git(string? directory, CancellationToken ct, params string[] arguments) =>
        ProcessRunner.RunAsync("git", GitArguments(directory, arguments), null, ct, Confine);

    private Task<bool> GitSucceedsAsync(string directory, CancellationToken ct, params string[] arguments) =>
        ProcessRunner.SucceedsAsync("git", GitArguments(directory, arguments), null, ct, Confine);

    /// <summary>Hooks and fsmonitor off for the runner's own git: an agent may have put programs there.</summary>
    private static string[] GitArguments(string? directory, string[] arguments) =>
        ["-c", "core.hooksPath=/dev/null", "-c", "core.fsmonitor=false", .. directory is null ? Array.Empty<string>() : ["-C", directory], .. arguments];

    [GeneratedRegex("[^A-Za-z0-9._-]+")]
    private static partial Regex NotSafe();

    [GeneratedRegex(@"^(?!-)(?!.*\.\.)[A-Za-z0-9._/-]{1,200}$")]
    private static partial Regex SafeRef();
}

/// <summary>Which task a worktree belongs to, kept in the worktree's git directory.</summary>
public sealed record WorktreeOwner(Guid WorkspaceId, Guid TaskId, string Branch, string DefaultBranch, string Mirror);

/// <summary>What a cleanup did: worktrees removed, worktrees kept because they hold work, and the disk the runner uses.</summary>
public sealed record CleanupReport(IReadOnlyList<string> Removed, IReadOnlyList<string> Kept, long Bytes)
{
    public string Summary => $"disk {Bytes / 1024.0 / 1024.0:0.0} MB" + (Kept.Count == 0 ? "" : $"; kept {Kept.Count} worktree(s) with work not on the remote: {string.Join("; ", Kept)}");
}

using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace Konduktor.Runner;

/// <summary>
/// One bare mirror per repository (fetched before each session) and one worktree per task on its own branch.
/// Remote branches are fetched to <c>refs/remotes/origin/*</c>, so a fetch never moves a task's local branch.
/// </summary>
public sealed partial class GitWorkspaces(string workDirectory)
{
    private const string TrailersFile = "konduktor-trailers";

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

    public string MirrorPath(string repository) => Path.Combine(workDirectory, "repos", RepositoryKey(repository) + ".git");

    public string WorktreePath(string repository, string branch) =>
        Path.Combine(workDirectory, "worktrees", RepositoryKey(repository), Sanitize(branch.Replace("konduktor/", "", StringComparison.Ordinal)));

    /// <summary>Fetches the mirror and returns the task's worktree on its branch, creating either when missing.</summary>
    public async Task<string> PrepareAsync(string repository, string defaultBranch, string branch, Guid taskId, Guid sessionId, CancellationToken ct)
    {
        if (!SafeRef().IsMatch(branch) || !SafeRef().IsMatch(defaultBranch))
        {
            throw new CommandFailedException($"refusing an unsafe branch name '{branch}'");
        }

        var mirror = MirrorPath(repository);
        var worktree = WorktreePath(repository, branch);
        var gate = _locks.GetOrAdd(mirror, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(ct);
        try
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

            if (!File.Exists(Path.Combine(worktree, ".git")))
            {
                await Git(mirror, ct, "worktree", "prune");
                Directory.CreateDirectory(Path.GetDirectoryName(worktree)!);
                if (await ProcessRunner.SucceedsAsync("git", ["-C", mirror, "show-ref", "--verify", "--quiet", $"refs/heads/{branch}"], null, ct))
                {
                    await Git(mirror, ct, "worktree", "add", "--quiet", worktree, branch);
                }
                else if (await ProcessRunner.SucceedsAsync("git", ["-C", mirror, "show-ref", "--verify", "--quiet", $"refs/remotes/origin/{branch}"], null, ct))
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
        }
        finally
        {
            gate.Release();
        }

        var gitDirectory = (await Git(worktree, ct, "rev-parse", "--absolute-git-dir")).Trim();
        await File.WriteAllTextAsync(Path.Combine(gitDirectory, TrailersFile), $"Konduktor-Task: {taskId:D}\nKonduktor-Session: {sessionId:D}\n", ct);
        return worktree;
    }

    /// <summary>Commits on the task branch that its remote does not have (all of them past the default branch when it has none).</summary>
    public static async Task<int> UnpushedCommitsAsync(string worktree, string branch, string defaultBranch, CancellationToken ct)
    {
        var remote = await ProcessRunner.SucceedsAsync("git", ["-C", worktree, "show-ref", "--verify", "--quiet", $"refs/remotes/origin/{branch}"], null, ct)
            ? $"refs/remotes/origin/{branch}"
            : $"refs/remotes/origin/{defaultBranch}";
        var count = await Git(worktree, ct, "rev-list", "--count", $"{remote}..HEAD");
        return int.Parse(count.Trim(), System.Globalization.CultureInfo.InvariantCulture);
    }

    public static async Task PushAsync(string worktree, string branch, CancellationToken ct)
    {
        await Git(worktree, ct, "push", "--quiet", "origin", $"HEAD:refs/heads/{branch}");
        await Git(worktree, ct, "fetch", "--quiet", "origin", $"+refs/heads/{branch}:refs/remotes/origin/{branch}");
    }

    /// <summary>A folder name for a repository: readable, and unique even when two names sanitize alike.</summary>
    public static string RepositoryKey(string repository)
    {
        var trimmed = repository.Trim().TrimEnd('/');
        var readable = Sanitize(Path.GetFileNameWithoutExtension(trimmed.Split('/', ':', '\\')[^1]));
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(trimmed)))[..10];
        return $"{(readable.Length == 0 ? "repo" : readable)}-{hash}";
    }

    private static string Sanitize(string text) => NotSafe().Replace(text, "-").Trim('-', '.');

    private static Task<string> Git(string? directory, CancellationToken ct, params string[] arguments) =>
        ProcessRunner.RunAsync("git", directory is null ? arguments : ["-C", directory, .. arguments], null, ct);

    [GeneratedRegex("[^A-Za-z0-9._-]+")]
    private static partial Regex NotSafe();

    [GeneratedRegex(@"^(?!-)(?!.*\.\.)[A-Za-z0-9._/-]{1,200}$")]
    private static partial Regex SafeRef();
}

using Konduktor.Runner.Worker;
using Konduktor.Tests.Infrastructure;

namespace Konduktor.Tests.Runners;

/// <summary>
/// A runner's kept worktree meets a branch another runner pushed to: it catches up before the agent works, and commits
/// of its own that never reached the remote are kept there rather than lost or pushed over.
/// </summary>
public sealed class WorktreeCatchUpTests
{
    private const string Branch = "konduktor/0a1b2c3d-shared";

    [Fact]
    public async Task A_worktree_behind_the_remote_branch_is_fast_forwarded_and_one_that_diverged_keeps_its_commits_on_a_backup_branch()
    {
        var remote = await GitRemote.CreateAsync();
        var laptop = new GitWorkspaces(Directory.CreateTempSubdirectory("konduktor-laptop-").FullName);
        var desk = new GitWorkspaces(Directory.CreateTempSubdirectory("konduktor-desk-").FullName);
        var onLaptop = await PrepareAsync(laptop, remote);
        await CommitAsync(onLaptop, "first.txt", "First from the laptop");
        await laptop.PushAsync(onLaptop, Branch, CancellationToken.None);
        var onDesk = await PrepareAsync(desk, remote);
        Assert.Null(await desk.CatchUpAsync(onDesk, Branch, CancellationToken.None));
        await CommitAsync(onDesk, "second.txt", "Second from the desk");
        await desk.PushAsync(onDesk, Branch, CancellationToken.None);

        await PrepareAsync(laptop, remote);
        var caughtUp = await laptop.CatchUpAsync(onLaptop, Branch, CancellationToken.None);

        Assert.Contains("up to date", caughtUp, StringComparison.Ordinal);
        Assert.Equal((await remote.GitAsync("rev-parse", Branch)).Trim(), (await GitRemote.Git(onLaptop, "rev-parse", "HEAD")).Trim());

        await CommitAsync(onLaptop, "cut-off.txt", "Never pushed from the laptop");
        await CommitAsync(onDesk, "third.txt", "Third from the desk");
        await desk.PushAsync(onDesk, Branch, CancellationToken.None);
        await PrepareAsync(laptop, remote);
        var diverged = await laptop.CatchUpAsync(onLaptop, Branch, CancellationToken.None);

        var backup = System.Text.RegularExpressions.Regex.Match(diverged!, @"kept on the remote as (\S+),").Groups[1].Value;
        Assert.StartsWith(Branch + "-unpushed-", backup, StringComparison.Ordinal);
        Assert.Contains("Never pushed from the laptop", await remote.GitAsync("log", "--format=%s", backup), StringComparison.Ordinal);
        Assert.Equal((await remote.GitAsync("rev-parse", Branch)).Trim(), (await GitRemote.Git(onLaptop, "rev-parse", "HEAD")).Trim());
        Assert.True(File.Exists(Path.Combine(onLaptop, "third.txt")));
        Assert.False(File.Exists(Path.Combine(onLaptop, "cut-off.txt")));
    }

    private static Task<string> PrepareAsync(GitWorkspaces workspaces, GitRemote remote) =>
        workspaces.PrepareAsync(remote.Path, "main", Branch, Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid(), CancellationToken.None);

    private static async Task CommitAsync(string worktree, string file, string message)
    {
        await File.WriteAllTextAsync(Path.Combine(worktree, file), message + "\n");
        await GitRemote.Git(worktree, "add", "-A");
        await GitRemote.Git(worktree, "-c", "user.name=Test", "-c", "user.email=test@example.com", "commit", "--quiet", "-m", message);
    }
}

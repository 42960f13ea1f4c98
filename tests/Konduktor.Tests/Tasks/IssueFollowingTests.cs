using Konduktor.Core.GitHub;
using Konduktor.Core.Tasks;
using Konduktor.Core.Workspaces;
using Konduktor.Tests.Infrastructure;

namespace Konduktor.Tests.Tasks;

/// <summary>The one rule issues follow, in core on real storage: one task per issue whoever applies it, and what a close does.</summary>
public sealed class IssueFollowingTests(AzuriteFixture azurite)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_same_issue_applied_at_once_by_two_hosts_many_times_makes_one_task()
    {
        await using var one = new CoreHarness(azurite);
        await using var two = new CoreHarness(azurite, prefix: one.Prefix);
        var workspace = await FollowingAsync(one);
        var issue = Issue(7, "Add dark mode", open: true, at: 0);

        var outcomes = await Task.WhenAll(Enumerable.Range(0, 16).Select(i => (i % 2 == 0 ? one : two).Services<IssueFollowing>().ApplyAsync(workspace, issue, Ct)));

        var tasks = (await one.Tasks.ListAsync(one.Person, workspace.Name, new TaskFilter(), Ct)).Value!;
        var task = Assert.Single(tasks);
        Assert.Equal(7, task.IssueNumber);
        Assert.Single(outcomes, o => o.Outcome.EndsWith("created", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_closed_issue_closes_its_task_unless_its_work_is_in_review_and_older_news_changes_nothing()
    {
        await using var core = new CoreHarness(azurite);
        var workspace = await FollowingAsync(core);
        var following = core.Services<IssueFollowing>();
        await following.ApplyAsync(workspace, Issue(8, "In review", open: true, at: 0), Ct);
        await following.ApplyAsync(workspace, Issue(9, "Not started", open: true, at: 0), Ct);
        var tasks = (await core.Tasks.ListAsync(core.Person, workspace.Name, new TaskFilter(), Ct)).Value!;
        var inReview = tasks.Single(t => t.IssueNumber == 8);
        Assert.True((await core.Tasks.MoveAsync(core.Person, workspace.Name, inReview.ShortId, BoardColumns.PrSubmitted, null, null, Ct)).IsSuccess);

        await following.ApplyAsync(workspace, Issue(8, "In review", open: false, at: 1), Ct);
        await following.ApplyAsync(workspace, Issue(9, "Not started", open: false, at: 1), Ct);
        var stale = await following.ApplyAsync(workspace, Issue(9, "An older title", open: true, at: 0), Ct);

        var after = (await core.Tasks.ListAsync(core.Person, workspace.Name, new TaskFilter(), Ct)).Value!;
        Assert.Equal(BoardColumns.PrSubmitted, after.Single(t => t.IssueNumber == 8).Status);
        Assert.Equal(BoardColumns.Closed, after.Single(t => t.IssueNumber == 9).Status);
        Assert.Equal("Not started", after.Single(t => t.IssueNumber == 9).Title);
        Assert.False(stale.Changed);
    }

    private static async Task<Workspace> FollowingAsync(CoreHarness core)
    {
        var workspace = await core.NewWorkspaceAsync();
        return (await core.Workspaces.UpdateConfigAsync(core.Person, workspace.Name, new ConfigChanges { FollowIssues = "konduktor" }, null, Ct)).Value!;
    }

    private static IssueFacts Issue(int number, string title, bool open, int at) =>
        new(number, title, "Body.", ["konduktor"], open, $"https://github.com/myorg/myrepo/issues/{number}", new DateTimeOffset(2026, 12, 1, 0, 0, at, TimeSpan.Zero));
}

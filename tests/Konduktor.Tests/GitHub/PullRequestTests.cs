using Konduktor.Core.Tasks;
using Konduktor.Tests.Infrastructure;

namespace Konduktor.Tests.GitHub;

/// <summary>Konduktor opens the task's pull request when an agent pushed and did not: GitHub's API answered by the stand-in.</summary>
public sealed class PullRequestTests(AzuriteFixture azurite) : IAsyncLifetime
{
    private GitHubStandIn _gitHub = null!;
    private KonduktorUp _up = null!;
    private SessionDriver _driver = null!;

    public async ValueTask InitializeAsync()
    {
        _gitHub = await GitHubStandIn.StartAsync();
        _up = await KonduktorUp.StartAsync(storage: azurite.ConnectionString, environment: new Dictionary<string, string>
        {
            ["Konduktor__GitHub__ApiUrl"] = _gitHub.Url,
            ["Konduktor__Timers__ReconcilePullRequests"] = "*/1 * * * * *",
        });
        _driver = new SessionDriver(_up);
    }

    public async ValueTask DisposeAsync()
    {
        await _up.DisposeAsync();
        await _gitHub.DisposeAsync();
    }

    [Theory]
    [InlineData("konduktor", false)]
    [InlineData("agent", true)]
    public async Task An_agent_that_pushed_without_opening_a_pull_request_gets_one_and_only_one(string mode, bool draft)
    {
        var (workspace, repository) = await WorkspaceAsync(token: "ghp_test_token_for_the_stand_in", mode);
        var task = await _driver.CreateTaskAsync(workspace, "Add the greeting", "The greeting belongs in greeting.txt.\n\n"
            + StandInAgent.Script(new { write = "greeting.txt", content = "hello\n" }, new { commit = "Add greeting" }));

        var first = await _driver.WaitForEndAsync(workspace, (await _driver.RunAsync(workspace, task)).Id);
        var withPr = await Eventually.WaitAsync(async () => await _driver.GetTaskAsync(workspace, task.Id) is { PullRequestNumber: not null } t ? t : null, "Konduktor to open the pull request");

        var opened = Assert.Single(_gitHub.PullRequests.Values);
        Assert.Equal(first.Branch, opened.Head);
        Assert.Equal("Add the greeting", opened.Title);
        Assert.Contains("The greeting belongs in greeting.txt.", opened.Body, StringComparison.Ordinal);
        Assert.Contains($"Opened by Konduktor for task `{task.ShortId}`", opened.Body, StringComparison.Ordinal);
        Assert.Contains($"/#/w/{workspace}/t/{task.ShortId}", opened.Body, StringComparison.Ordinal);
        Assert.Equal(draft, opened.Draft);
        Assert.Equal("Token ghp_test_token_for_the_stand_in", opened.Authorization);
        Assert.Equal(opened.Number, withPr.PullRequestNumber);
        Assert.Equal($"https://github.com/{repository}/pull/{opened.Number}", withPr.PullRequestUrl);
        Assert.Equal("PR Submitted", withPr.Status);

        // Another session leaves more commits: the pull request is found, not opened again.
        var resumed = await _up.CliAsync("-w", workspace, "--json", "tasks", "resume", task.ShortId, "-m", StandInAgent.Script(new { write = "more.txt", content = "more\n" }, new { commit = "More" }));
        Assert.True(resumed.ExitCode == 0, resumed.ToString());
        await _driver.WaitForEndAsync(workspace, System.Text.Json.JsonSerializer.Deserialize<Konduktor.Core.Sessions.Session>(resumed.Output, SessionsHost.Json)!.Id);
        await Eventually.WaitAsync(() => _up.Output.Contains($"task {task.ShortId} has pull request #{opened.Number} already", StringComparison.Ordinal), "the second session's pull request work to be done");
        Assert.Single(_gitHub.PullRequests.Values);
    }

    [Fact]
    public async Task An_agent_opens_its_pull_request_through_konduktor_with_its_own_title_and_description_and_only_one()
    {
        var (workspace, _) = await WorkspaceAsync(token: "ghp_test_token_for_the_stand_in", "agent");
        var task = await _driver.CreateTaskAsync(workspace, "Add the greeting", StandInAgent.Script(
            new { write = "greeting.txt", content = "hello\n" }, new { commit = "Add greeting" }, new { push = true },
            new { konduktor = new[] { "prs", "open", "%KONDUKTOR_TASK%", "--title", "Greet people", "-m", "Adds greeting.txt; checked by reading it back." } }));

        var session = await _driver.WaitForEndAsync(workspace, (await _driver.RunAsync(workspace, task)).Id);
        var withPr = await Eventually.WaitAsync(async () => await _driver.GetTaskAsync(workspace, task.Id) is { PullRequestNumber: not null } t ? t : null, "the agent's pull request");

        var opened = Assert.Single(_gitHub.PullRequests.Values);
        Assert.Equal("Greet people", opened.Title);
        Assert.False(opened.Draft);
        Assert.StartsWith("Adds greeting.txt; checked by reading it back.", opened.Body, StringComparison.Ordinal);
        Assert.Contains($"Opened by Konduktor for task `{task.ShortId}`", opened.Body, StringComparison.Ordinal);
        Assert.Equal("PR Submitted", withPr.Status);
        var log = await _up.CliAsync("-w", workspace, "--json", "tasks", "logs", task.ShortId);
        Assert.Contains($"Pull request #{opened.Number}:", log.Output, StringComparison.Ordinal);
        // Konduktor's own opener, after the session, finds it rather than opening a draft beside it.
        await Eventually.WaitAsync(() => _up.Output.Contains($"task {task.ShortId} has pull request #{opened.Number} already", StringComparison.Ordinal), "the session's pull request work to be done");
        Assert.Single(_gitHub.PullRequests.Values);
        Assert.Equal(session.Branch, opened.Head);

        var (local, _) = await _driver.CreateWorkspaceAsync();
        var elsewhere = await _driver.CreateTaskAsync(local, "Local", "plain");
        var refused = await _up.CliAsync("-w", local, "prs", "open", elsewhere.ShortId, "--title", "Nowhere");
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("is not a GitHub repository", refused.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_a_token_the_task_says_why_no_pull_request_was_opened()
    {
        var (workspace, _) = await WorkspaceAsync(token: null, "konduktor");
        var task = await _driver.CreateTaskAsync(workspace, "No token", StandInAgent.Script(new { write = "a.txt", content = "a\n" }, new { commit = "A" }));

        await _driver.WaitForEndAsync(workspace, (await _driver.RunAsync(workspace, task)).Id);
        var noted = await Eventually.WaitAsync(async () => await _driver.GetTaskAsync(workspace, task.Id) is { Note: not null } t ? t : null, "the note about the missing token");

        Assert.Contains("no GitHub token", noted.Note, StringComparison.Ordinal);
        Assert.Contains("konduktor config set --github-token -", noted.Note, StringComparison.Ordinal);
        Assert.Null(noted.PullRequestNumber);
        Assert.Empty(_gitHub.PullRequests);
    }

    [Theory]
    [InlineData(null, "In progress")]
    [InlineData("Done", "Done")]
    public async Task A_task_on_a_repository_not_on_github_never_strands_its_card_says_where_the_work_is_and_it_goes_where_the_workspace_chose(string? chosen, string column)
    {
        var (workspace, _) = await _driver.CreateWorkspaceAsync();
        if (chosen is not null)
        {
            var set = await _up.CliAsync("-w", workspace, "config", "set", "--without-pr-column", chosen.ToLowerInvariant());
            Assert.True(set.ExitCode == 0, set.ToString());
            Assert.Contains($"goes to {chosen}", set.Output, StringComparison.Ordinal);
        }

        var refused = await _up.CliAsync("-w", workspace, "config", "set", "--without-pr-column", "Shipped");
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("'Shipped' is not a column", refused.Error, StringComparison.Ordinal);
        var task = await _driver.CreateTaskAsync(workspace, "Local work", StandInAgent.Script(new { write = "a.txt", content = "a\n" }, new { commit = "A" }));

        var ended = await _driver.WaitForEndAsync(workspace, (await _driver.RunAsync(workspace, task)).Id);
        var noted = await Eventually.WaitAsync(async () => await _driver.GetTaskAsync(workspace, task.Id) is { Note: not null } t ? t : null, "the note about the pull request");

        Assert.Equal($"The work is on branch {ended.Branch}; no pull request is opened: the repository is not on GitHub. Merge it yourself, then move the task to Done.", noted.Note);
        Assert.Equal(column, noted.Status);
        var shown = await _up.CliAsync("-w", workspace, "tasks", "show", task.ShortId);
        Assert.Contains("the repository is not on GitHub", shown.Output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(true, "Done")]
    [InlineData(false, "Closed")]
    public async Task With_no_webhook_at_all_the_reconciler_follows_the_pull_request_its_checks_and_reviews_to_its_end(bool merged, string column)
    {
        var (workspace, _) = await WorkspaceAsync(token: "ghp_reconcile", "konduktor");
        var task = await _driver.CreateTaskAsync(workspace, "Followed without webhooks", StandInAgent.Script(new { write = "f.txt", content = "f\n" }, new { commit = "F" }));
        await _driver.WaitForEndAsync(workspace, (await _driver.RunAsync(workspace, task)).Id);
        var opened = await Eventually.WaitAsync(async () => await _driver.GetTaskAsync(workspace, task.Id) is { PullRequestNumber: not null } t ? t : null, "the pull request");
        var number = opened.PullRequestNumber!.Value;

        var checkedTask = await Eventually.WaitAsync(async () => await _driver.GetTaskAsync(workspace, task.Id) is { ChecksState: "failing" } t ? t : null, "the reconciler to read the checks");
        var notModifiedBefore = _gitHub.NotModified;
        await Eventually.WaitAsync(() => _gitHub.NotModified >= notModifiedBefore + 3, "a few reconciler passes that find nothing new");
        Assert.Equal(checkedTask.Version, (await _driver.GetTaskAsync(workspace, task.Id)).Version);

        _gitHub.Review(number, "CHANGES_REQUESTED", "Please rename the file.");
        await Eventually.WaitAsync(async () => await _driver.GetTaskAsync(workspace, task.Id) is { ReviewState: "changes_requested" } t ? t : null, "the reconciler to read the review");
        _gitHub.Finish(number, merged);

        var ended = await Eventually.WaitAsync(async () => await _driver.GetTaskAsync(workspace, task.Id) is { } t && t.Status == column ? t : null, $"the task to be {column}", TimeSpan.FromSeconds(30));
        Assert.Equal(number, ended.PullRequestNumber);
        var shown = await _up.CliAsync("-w", workspace, "tasks", "show", task.ShortId);
        Assert.Contains("checks failing", shown.Output, StringComparison.Ordinal);
        Assert.Contains("changes requested", shown.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_reconciler_waits_for_the_reset_when_githubs_rate_limit_runs_low()
    {
        var (workspace, _) = await WorkspaceAsync(token: "ghp_limited", "konduktor");
        var task = await _driver.CreateTaskAsync(workspace, "Rate limited", StandInAgent.Script(new { write = "r.txt", content = "r\n" }, new { commit = "R" }));
        await _driver.WaitForEndAsync(workspace, (await _driver.RunAsync(workspace, task)).Id);
        await Eventually.WaitAsync(async () => await _driver.GetTaskAsync(workspace, task.Id) is { PullRequestNumber: not null } t ? t : null, "the pull request");

        _gitHub.RateLimitRemaining = 10;

        await Eventually.WaitAsync(() => _up.Output.Contains("GitHub's rate limit is low (10 calls left); the reconciler waits until", StringComparison.Ordinal), "the reconciler to pause");
        var calls = _gitHub.Requests.Count;
        await Eventually.WaitAsync(() => _up.Output.Split('\n').Count(l => l.Contains("paused until", StringComparison.Ordinal)) >= 2, "two passes that stay paused");
        Assert.Equal(calls, _gitHub.Requests.Count);
        _gitHub.RateLimitRemaining = 5000;
    }

    private async Task<(string Workspace, string Repository)> WorkspaceAsync(string? token, string mode)
    {
        var remote = await GitRemote.CreateAsync();
        var name = "pr" + Guid.NewGuid().ToString("N")[..10];
        var repository = $"acme/{name}";
        Assert.Equal(0, (await _up.CliAsync("workspaces", "create", remote.Path, "--name", name, "--github", repository)).ExitCode);
        Assert.Equal(0, (await _up.CliAsync("-w", name, "config", "set", "--pr", mode)).ExitCode);
        if (token is not null)
        {
            Assert.Equal(0, (await _up.CliWithInputAsync(token, "-w", name, "config", "set", "--github-token", "-")).ExitCode);
        }

        return (name, repository);
    }
}

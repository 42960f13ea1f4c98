using System.Net;
using System.Text.Json;
using Konduktor.Core.Sessions;
using Konduktor.Core.Tasks;
using Konduktor.Tests.GitHub;
using Konduktor.Tests.Infrastructure;

namespace Konduktor.Tests.Tasks;

/// <summary>One <c>up</c> with the stand-in agent whose GitHub is the stand-in; the reconcilers look every second.</summary>
public sealed class IssuesHost(AzuriteFixture azurite) : IAsyncLifetime
{
    public const string Token = "ghp_test_token_for_the_stand_in";

    public GitHubStandIn GitHub { get; private set; } = null!;

    public KonduktorUp Up { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        GitHub = await GitHubStandIn.StartAsync();
        Up = await KonduktorUp.StartAsync(storage: azurite.ConnectionString, environment: new Dictionary<string, string>
        {
            ["Konduktor__GitHub__ApiUrl"] = GitHub.Url,
            ["Konduktor__Timers__ReconcilePullRequests"] = "*/1 * * * * *",
            ["Konduktor__Timers__ReconcileIssues"] = "*/1 * * * * *",
        });
    }

    public async ValueTask DisposeAsync()
    {
        await Up.DisposeAsync();
        await GitHub.DisposeAsync();
    }
}

/// <summary>Work flows in from GitHub issues and on by itself through tasks that wait for other tasks.</summary>
public sealed class WorkFlowsInTests(IssuesHost host) : IClassFixture<IssuesHost>
{
    private readonly SessionDriver _driver = new(host.Up);

    [Fact]
    public async Task A_labelled_issue_becomes_a_task_whose_pull_request_closes_it_on_merge_and_the_issue_hears_of_it_once()
    {
        var (workspace, repository) = await GitHubWorkspaceAsync();
        var issue = host.GitHub.OpenIssue(repository, "Add the greeting", "The greeting belongs in greeting.txt.\n\n"
            + StandInAgent.Script(new { write = "greeting.txt", content = "hello\n" }, new { commit = "Add greeting" }), "konduktor", "Good first issue");
        var unlabelled = host.GitHub.OpenIssue(repository, "Not for agents", "A person does this one.");

        var followed = await host.Up.CliAsync("workspaces", "follow-issues", workspace, "--label", "konduktor");
        Assert.True(followed.ExitCode == 0, followed.ToString());
        Assert.Equal($"{workspace}: every open issue labelled \"konduktor\" becomes a task; questions stay on the board", followed.Output.Trim());

        var task = await Eventually.WaitAsync(async () => (await TasksAsync(workspace)).SingleOrDefault(t => t.IssueNumber == issue), "the reconciler to make the issue a task");
        Assert.Equal("Add the greeting", task.Title);
        Assert.Equal(["konduktor", "good-first-issue"], task.Tags);
        Assert.Equal($"https://github.com/{repository}/issues/{issue}", task.IssueUrl);
        var shown = await _driver.GetTaskAsync(workspace, task.Id);
        Assert.StartsWith("The greeting belongs in greeting.txt.", shown.Description, StringComparison.Ordinal);
        Assert.EndsWith($"---\nFrom issue [#{issue}](https://github.com/{repository}/issues/{issue}).", shown.Description, StringComparison.Ordinal);
        Assert.DoesNotContain(await TasksAsync(workspace), t => t.IssueNumber == unlabelled);

        await _driver.WaitForEndAsync(workspace, (await _driver.RunAsync(workspace, task)).Id);
        var withPr = await Eventually.WaitAsync(async () => await _driver.GetTaskAsync(workspace, task.Id) is { PullRequestNumber: { } } t ? t : null, "Konduktor to open the pull request");
        var pullRequest = host.GitHub.PullRequests[withPr.PullRequestNumber!.Value];
        Assert.Contains($"Closes #{issue}", pullRequest.Body, StringComparison.Ordinal);
        await Eventually.WaitAsync(() => host.GitHub.Posted.Any(p => p.Number == issue), "the issue to hear of its pull request");

        host.GitHub.Finish(pullRequest.Number, merged: true);
        await Eventually.WaitAsync(async () => (await _driver.GetTaskAsync(workspace, task.Id)).Status == "Done" ? "" : null, "the merge to move the task to Done");
        Assert.False(host.GitHub.Issues[issue].Open);
        // Passes after the merge and the issue's close say nothing again on the issue, and leave the task Done.
        var listings = Listings(repository);
        await Eventually.WaitAsync(() => Listings(repository) >= listings + 3, "three more passes over the issues");
        var said = Assert.Single(host.GitHub.Posted, p => p.Number == issue);
        Assert.Equal($"Pull request #{pullRequest.Number} is open for this issue (https://github.com/{repository}/pull/{pullRequest.Number}), from Konduktor task `{task.ShortId}`. Merging it closes the issue.", said.Body);
        Assert.Equal("Done", (await _driver.GetTaskAsync(workspace, task.Id)).Status);
    }

    [Fact]
    public async Task Issue_events_edit_close_reopen_and_unfollow_the_task_and_a_second_opened_delivery_makes_no_second_task()
    {
        var (workspace, repository) = await GitHubWorkspaceAsync();
        Assert.Equal(0, (await host.Up.CliAsync("workspaces", "follow-issues", workspace, "--label", "konduktor")).ExitCode);
        var webhook = JsonSerializer.Deserialize<Konduktor.Core.GitHub.WebhookView>((await host.Up.CliAsync("workspaces", "webhook", workspace, "--json")).Output, SessionsHost.Json)!;
        using var http = new HttpClient();
        var at = DateTimeOffset.UtcNow.AddMinutes(1);
        async Task<string> DeliverAsync(string action, string title, string body, string[] labels, bool open = true, int seconds = 0, string? delivery = null)
        {
            var response = await http.SendAsync(GitHubPayloads.Delivery(webhook.PayloadUrl, "issues", GitHubPayloads.Issue(action, repository, 4242, title, body, labels, open, at.AddSeconds(seconds)), webhook.Secret, delivery));
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.OK, text);
            return JsonDocument.Parse(text).RootElement.GetProperty("result").GetString()!;
        }

        var opened = await DeliverAsync("opened", "Fix the login page", "It 500s.", ["konduktor"]);
        var task = Assert.Single(await TasksAsync(workspace), t => t.IssueNumber == 4242);
        Assert.Equal($"issue #4242: task {task.ShortId} created", opened);

        // The same news again under a new delivery id (a redelivery GitHub made anew, or the reconciler racing it): no second task.
        Assert.StartsWith("issue #4242: nothing new", await DeliverAsync("opened", "Fix the login page", "It 500s.", ["konduktor", "bug"], seconds: 0), StringComparison.Ordinal);
        Assert.Single(await TasksAsync(workspace), t => t.IssueNumber == 4242);

        Assert.Contains("follows it", await DeliverAsync("edited", "Fix the login page on Safari", "It 500s on Safari.", ["konduktor", "bug"], seconds: 1), StringComparison.Ordinal);
        var edited = await _driver.GetTaskAsync(workspace, task.Id);
        Assert.Equal("Fix the login page on Safari", edited.Title);
        Assert.Equal(["konduktor", "bug"], edited.Tags);
        Assert.StartsWith("It 500s on Safari.", edited.Description, StringComparison.Ordinal);

        Assert.Contains("moved to Closed", await DeliverAsync("closed", "Fix the login page on Safari", "It 500s on Safari.", ["konduktor", "bug"], open: false, seconds: 2), StringComparison.Ordinal);
        Assert.Equal("Closed", (await _driver.GetTaskAsync(workspace, task.Id)).Status);
        Assert.Contains("moved to To do", await DeliverAsync("reopened", "Fix the login page on Safari", "It 500s on Safari.", ["konduktor", "bug"], seconds: 3), StringComparison.Ordinal);
        Assert.Equal("To do", (await _driver.GetTaskAsync(workspace, task.Id)).Status);

        Assert.Equal($"issue #4242 lost its label: task {task.ShortId} stays and no longer follows it", await DeliverAsync("unlabeled", "Fix the login page on Safari", "It 500s on Safari.", ["bug"], seconds: 4));
        Assert.StartsWith("ignored: issue #4242 is no longer followed", await DeliverAsync("edited", "Renamed after the label went", "x", ["bug"], seconds: 5), StringComparison.Ordinal);
        Assert.Equal("Fix the login page on Safari", (await _driver.GetTaskAsync(workspace, task.Id)).Title);
    }

    [Fact]
    public async Task An_agents_question_about_an_issues_task_is_asked_on_the_issue_and_a_comment_there_by_a_writer_answers_it()
    {
        var (workspace, repository) = await GitHubWorkspaceAsync();
        host.GitHub.Writers["maintainer"] = true;
        var issue = host.GitHub.OpenIssue(repository, "Pick a queue", StandInAgent.Script(new { konduktor = new[] { "questions", "ask", "Storage queues or Service Bus?" } }), "konduktor");
        var followed = await host.Up.CliAsync("workspaces", "follow-issues", workspace, "--label", "konduktor", "--mirror-questions");
        Assert.Equal($"{workspace}: every open issue labelled \"konduktor\" becomes a task; agents' questions are asked on the issue too", followed.Output.Trim());
        var task = await Eventually.WaitAsync(async () => (await TasksAsync(workspace)).SingleOrDefault(t => t.IssueNumber == issue), "the issue's task");

        var first = await _driver.WaitForEndAsync(workspace, (await _driver.RunAsync(workspace, task)).Id);
        var asked = await Eventually.WaitAsync(() => Task.FromResult<string?>(host.GitHub.Posted.FirstOrDefault(p => p.Number == issue).Body), "the question to be asked on the issue");
        Assert.StartsWith($"**An agent asks** (Konduktor task `{task.ShortId}`, question `", asked, StringComparison.Ordinal);
        Assert.Contains("> Storage queues or Service Bus?", asked, StringComparison.Ordinal);

        host.GitHub.Comment(issue, "passer-by", "Service Bus, obviously.");
        host.GitHub.Comment(issue, "maintainer", "Storage queues: we run on them already.\n" + StandInAgent.Script(new { echoPrompt = true }));

        var answered = await Eventually.WaitAsync(async () => JsonSerializer.Deserialize<List<Konduktor.Core.Questions.Question>>(
            (await host.Up.CliAsync("-w", workspace, "--json", "questions", "list", "--task", task.ShortId)).Output, SessionsHost.Json)!.SingleOrDefault(q => q.ResumeSessionId is not null || q.ResumeNote is not null), "the writer's comment to answer the question and resume the task");
        Assert.StartsWith("Storage queues: we run on them already.", answered.Answer, StringComparison.Ordinal);
        Assert.Equal("maintainer (on GitHub)", answered.AnsweredBy);
        Assert.Equal(issue, answered.MirroredOnIssue);
        Assert.True(answered.ResumeSessionId is not null, answered.ResumeNote);
        var resumed = await _driver.WaitForEndAsync(workspace, answered.ResumeSessionId.Value);
        Assert.Equal(SessionKind.Resume, resumed.Kind);
        Assert.True(resumed.CreatedAt > first.EndedAt);
        Assert.Contains("Storage queues: we run on them already.", string.Join("\n", (await _driver.LogsAsync(workspace, resumed.Id)).Select(e => e.Text)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Following_500_issues_costs_at_rest_one_conditional_request_per_pass_answered_304_and_writes_nothing()
    {
        var (workspace, repository) = await GitHubWorkspaceAsync();
        var numbers = Enumerable.Range(0, 500).Select(i => host.GitHub.OpenIssue(repository, $"Issue {i}", $"Body {i}", "konduktor")).ToHashSet();
        Assert.Equal(0, (await host.Up.CliAsync("workspaces", "follow-issues", workspace, "--label", "konduktor")).ExitCode);
        // The first pass read 5 pages of 100 (and made the tasks); the second asked for what changed since (the newest issue, once more).
        await Eventually.WaitAsync(() => Listings(repository) >= 7, "the first pass and two after it", TimeSpan.FromMinutes(3));
        var tasks = await TasksAsync(workspace);
        Assert.Equal(numbers, tasks.Select(t => t.IssueNumber!.Value).ToHashSet());
        var firstPass = host.GitHub.Requests.Count(r => r == $"GET /api/v3/repos/{repository}/issues") - NotModified(repository);
        var versions = tasks.ToDictionary(t => t.Id, t => t.Version);
        var (listings, notModified) = (Listings(repository), NotModified(repository));

        await Eventually.WaitAsync(() => Listings(repository) >= listings + 3, "three more passes");

        var (passes, free) = (Listings(repository) - listings, NotModified(repository) - notModified);
        Assert.InRange(free, passes - 1, passes); // every pass at rest is one request, answered 304 (a pass may be between its request and its answer)
        TestContext.Current.TestOutputHelper?.WriteLine($"500 issues followed: the first passes made {firstPass} full answers (5 pages of 100, then the newest change once); at rest {passes} passes made {passes} requests, {free} answered 304");
        Assert.Equal(versions, (await TasksAsync(workspace)).ToDictionary(t => t.Id, t => t.Version));
    }

    [Fact]
    public async Task A_chain_runs_in_order_by_itself_a_blocked_run_and_a_cycle_are_refused_and_an_agent_may_add_a_blocker_but_not_follow_issues()
    {
        var (workspace, _) = await _driver.CreateWorkspaceAsync();
        Assert.Equal(0, (await host.Up.CliAsync("-w", workspace, "config", "set", "--without-pr-column", "Done")).ExitCode);
        var a = await _driver.CreateTaskAsync(workspace, "A", StandInAgent.Script(new { write = "a.txt", content = "a\n" }, new { commit = "A" }));
        var b = await _driver.CreateTaskAsync(workspace, "B", StandInAgent.Script(new { write = "b.txt", content = "b\n" }, new { commit = "B" }));
        var c = await _driver.CreateTaskAsync(workspace, "C", StandInAgent.Script(new { write = "c.txt", content = "c\n" }, new { commit = "C" }));

        // An agent plans the work: it makes C wait for B (and start by itself); following issues is a person's call.
        var planner = await _driver.CreateTaskAsync(workspace, "Plan the work", StandInAgent.Script(
            new { sh = $"konduktor tasks update {c.ShortId} --blocked-by {b.ShortId} --auto-run && echo BLOCKER-ADDED" },
            new { sh = $"konduktor workspaces follow-issues {workspace} --all || echo FOLLOW-REFUSED" }));
        var planned = await _driver.WaitForEndAsync(workspace, (await _driver.RunAsync(workspace, planner)).Id);
        var log = string.Join('\n', (await _driver.LogsAsync(workspace, planned.Id)).Select(e => e.Text));
        Assert.Contains("BLOCKER-ADDED", log, StringComparison.Ordinal);
        Assert.True(log.Contains("error: an agent\\u0027s session may not change a workspace\\u0027s configuration or secrets: only people may", StringComparison.Ordinal), log); // as the agent's tool result (JSON) says it
        Assert.Contains("FOLLOW-REFUSED", log, StringComparison.Ordinal);

        var waiting = await host.Up.CliAsync("-w", workspace, "tasks", "update", b.ShortId, "--blocked-by", a.ShortId, "--auto-run");
        Assert.Equal($"Task updated: {b.ShortId} \"B\"; waits for {a.ShortId} (To do); starts by itself once they are Done", waiting.Output.Trim());
        var refused = await host.Up.CliAsync("-w", workspace, "tasks", "run", b.ShortId);
        Assert.NotEqual(0, refused.ExitCode);
        Assert.Contains($"task {b.ShortId} waits for {a.ShortId} \"A\" (To do); it can run once that task is Done", refused.Error, StringComparison.Ordinal);
        var cycle = await host.Up.CliAsync("-w", workspace, "tasks", "update", a.ShortId, "--blocked-by", c.ShortId);
        Assert.NotEqual(0, cycle.ExitCode);
        Assert.Contains($"that would make a cycle: {a.ShortId} \"A\" waits for {c.ShortId} \"C\", which waits for {b.ShortId} \"B\", which waits for {a.ShortId} \"A\"", cycle.Error, StringComparison.Ordinal);
        Assert.Contains($"waits:    {b.ShortId} \"B\" (To do); starts by itself once they are Done", (await host.Up.CliAsync("-w", workspace, "tasks", "show", c.ShortId)).Output, StringComparison.Ordinal);

        await _driver.RunAsync(workspace, a);
        await Eventually.WaitAsync(async () => (await _driver.GetTaskAsync(workspace, c.Id)).Status == "Done" ? "" : null, "A, then B, then C to be done by themselves", TimeSpan.FromMinutes(3));

        var sessions = new Dictionary<string, Session>();
        foreach (var (name, task) in new[] { ("A", a), ("B", b), ("C", c) })
        {
            var listed = await host.Up.CliAsync("-w", workspace, "--json", "sessions", "list", "--task", task.ShortId);
            sessions[name] = Assert.Single(JsonSerializer.Deserialize<List<Session>>(listed.Output, SessionsHost.Json)!);
        }

        Assert.True(sessions["B"].CreatedAt >= sessions["A"].EndedAt, "B started before A ended");
        Assert.True(sessions["C"].CreatedAt >= sessions["B"].EndedAt, "C started before B ended");
        Assert.Equal("konduktor (auto-run)", sessions["B"].StartedBy);
        Assert.Equal("konduktor (auto-run)", sessions["C"].StartedBy);
        Assert.False((await _driver.GetTaskAsync(workspace, c.Id)).AutoRun);
    }

    private async Task<(string Workspace, string Repository)> GitHubWorkspaceAsync()
    {
        var remote = await GitRemote.CreateAsync();
        var name = "is" + Guid.NewGuid().ToString("N")[..10];
        var repository = $"acme/{name}";
        Assert.Equal(0, (await host.Up.CliAsync("workspaces", "create", remote.Path, "--name", name, "--github", repository)).ExitCode);
        Assert.Equal(0, (await host.Up.CliWithInputAsync(IssuesHost.Token, "-w", name, "config", "set", "--github-token", "-")).ExitCode);
        return (name, repository);
    }

    private int Listings(string repository) => host.GitHub.Requests.Count(r => r == $"GET /api/v3/repos/{repository}/issues");

    private int NotModified(string repository) => host.GitHub.NotModifiedRequests.Count(r => r == $"GET /api/v3/repos/{repository}/issues");

    private async Task<List<TaskItem>> TasksAsync(string workspace)
    {
        var listed = await host.Up.CliAsync("-w", workspace, "--json", "tasks", "list");
        Assert.True(listed.ExitCode == 0, listed.ToString());
        return JsonSerializer.Deserialize<List<TaskItem>>(listed.Output, SessionsHost.Json)!;
    }
}

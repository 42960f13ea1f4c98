using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using Konduktor.Core.Sessions;
using Konduktor.Core.Tasks;
using Konduktor.Tests.Infrastructure;

namespace Konduktor.Tests.GitHub;

/// <summary>
/// Auto-fix through `up`: signed check_suite and push deliveries, GitHub's API answered by a local stand-in server,
/// and the stand-in agent (scripted by the workspace secret STANDIN_SCRIPT for sessions whose prompt carries no script) pushing a fix.
/// </summary>
public sealed class AutoFixTests(AzuriteFixture azurite) : IAsyncLifetime
{
    private GitHubStandIn _gitHub = null!;
    private KonduktorUp _up = null!;
    private SessionDriver _driver = null!;
    private string _fixScript = "";

    public async ValueTask InitializeAsync()
    {
        _gitHub = await GitHubStandIn.StartAsync();
        _fixScript = Path.Combine(SharedWithAgents.NewFolder("fix"), "fix.json");
        await File.WriteAllTextAsync(_fixScript, """[{"echoPrompt": true}, {"write": "fix.txt", "content": "fixed\n"}, {"commit": "Fix it"}, {"push": true}]""");
        _up = await KonduktorUp.StartAsync(storage: azurite.ConnectionString, environment: new Dictionary<string, string>
        {
            ["Konduktor__GitHub__ApiUrl"] = _gitHub.Url,
        });
        _driver = new SessionDriver(_up);
    }

    public async ValueTask DisposeAsync()
    {
        await _up.DisposeAsync();
        await _gitHub.DisposeAsync();
    }

    [Fact]
    public async Task A_failed_check_suite_starts_one_auto_fix_ci_session_that_resumes_the_conversation_and_pushes_a_fix()
    {
        var (workspace, repository, remote, webhook) = await WorkspaceAsync();
        var (task, first) = await TaskWithOpenPrAsync(workspace, repository, webhook, 21);
        var sha = (await remote.GitAsync("rev-parse", first.Branch!)).Trim();

        var response = await SendAsync(webhook, "check_suite", GitHubPayloads.CheckSuiteCompleted(repository, first.Branch!, sha, "failure"));
        var again = await SendAsync(webhook, "check_suite", GitHubPayloads.CheckSuiteCompleted(repository, first.Branch!, sha, "failure"));

        Assert.Equal("queued: ci-failed", response);
        Assert.Equal("queued: ci-failed", again);
        await WorkDoneAsync($"CI failure of {sha[..7]} already handled");
        var fix = await SingleSessionOfKindAsync(workspace, task, SessionKind.AutoFixCi);
        var ended = await _driver.WaitForEndAsync(workspace, fix.Id);
        Assert.True(ended.Status == SessionStatus.Succeeded, $"{ended.Status}: {ended.Error}");
        Assert.Equal(first.ClaudeSessionId, ended.ClaudeSessionId);
        var said = string.Join('\n', (await _driver.LogsAsync(workspace, fix.Id)).Select(e => e.Text));
        Assert.True(said.Contains("unit tests: failure", StringComparison.Ordinal), said + "\n---\n" + _up.Output[^Math.Min(4000, _up.Output.Length)..]);
        Assert.Contains("src/sum.ts:12", said, StringComparison.Ordinal);
        Assert.Contains("Fix it", await remote.GitAsync("log", "-1", "--format=%s", first.Branch!), StringComparison.Ordinal);
        Assert.Contains(_gitHub.Requests, r => r.Contains($"/commits/{sha}/check-runs", StringComparison.Ordinal));
    }

    [Fact]
    public async Task With_auto_fix_off_a_ci_failure_starts_nothing()
    {
        var (workspace, repository, remote, webhook) = await WorkspaceAsync();
        Assert.Equal(0, (await _up.CliAsync("-w", workspace, "config", "set", "--auto-fix-ci", "off")).ExitCode);
        var (task, first) = await TaskWithOpenPrAsync(workspace, repository, webhook, 22);

        var response = await SendAsync(webhook, "check_suite", GitHubPayloads.CheckSuiteCompleted(repository, first.Branch!, (await remote.GitAsync("rev-parse", first.Branch!)).Trim(), "failure"));

        Assert.Contains("auto-fix of CI failures is off", response, StringComparison.Ordinal);
        Assert.Equal(1, (await _driver.GetTaskAsync(workspace, task.Id)).SessionCount);
    }

    [Fact]
    public async Task The_attempt_limit_holds_and_leaves_a_note_on_the_task()
    {
        var (workspace, repository, _, webhook) = await WorkspaceAsync();
        Assert.Equal(0, (await _up.CliAsync("-w", workspace, "config", "set", "--auto-fix-limit", "1")).ExitCode);
        var (task, first) = await TaskWithOpenPrAsync(workspace, repository, webhook, 23);

        await SendAsync(webhook, "check_suite", GitHubPayloads.CheckSuiteCompleted(repository, first.Branch!, new string('a', 40), "failure"));
        await _driver.WaitForEndAsync(workspace, (await SingleSessionOfKindAsync(workspace, task, SessionKind.AutoFixCi)).Id);
        await SendAsync(webhook, "check_suite", GitHubPayloads.CheckSuiteCompleted(repository, first.Branch!, new string('b', 40), "timed_out"));

        await WorkDoneAsync("auto-fix limit of 1 reached");
        var after = await _driver.GetTaskAsync(workspace, task.Id);
        Assert.Equal(2, after.SessionCount);
        Assert.Contains("Automatic fixes stopped", after.Note, StringComparison.Ordinal);
        Assert.Contains("note:     Automatic fixes stopped", (await _up.CliAsync("-w", workspace, "tasks", "show", task.ShortId)).Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_push_to_main_that_makes_a_task_pr_conflict_starts_one_auto_fix_conflicts_session()
    {
        var (workspace, repository, _, webhook) = await WorkspaceAsync();
        var (task, _) = await TaskWithOpenPrAsync(workspace, repository, webhook, 24);
        _gitHub.Mergeable[24] = new ConcurrentQueue<bool?>([null, false]);

        var response = await SendAsync(webhook, "push", GitHubPayloads.Push(repository, "refs/heads/main", new string('c', 40)));
        var replay = await SendAsync(webhook, "push", GitHubPayloads.Push(repository, "refs/heads/main", new string('c', 40)));

        Assert.Equal("queued: base-moved", response);
        Assert.Contains("same payload under another delivery id", replay, StringComparison.Ordinal);
        await WorkDoneAsync("auto-fix-conflicts session");
        var fix = await SingleSessionOfKindAsync(workspace, task, SessionKind.AutoFixConflicts);
        Assert.Equal(SessionStatus.Succeeded, (await _driver.WaitForEndAsync(workspace, fix.Id)).Status);
        Assert.True(_gitHub.Requests.Count(r => r.EndsWith("/pulls/24", StringComparison.Ordinal)) >= 2, "mergeable was asked again after null");
    }

    [Fact]
    public async Task A_pull_request_update_that_no_longer_merges_starts_an_auto_fix_conflicts_session()
    {
        var (workspace, repository, _, webhook) = await WorkspaceAsync();
        var (task, first) = await TaskWithOpenPrAsync(workspace, repository, webhook, 26);
        _gitHub.Mergeable[26] = new ConcurrentQueue<bool?>([false]);

        var response = await SendAsync(webhook, "pull_request", GitHubPayloads.PullRequest("synchronize", repository, first.Branch!, 26));

        Assert.EndsWith("queued: pull-request-updated", response, StringComparison.Ordinal);
        await WorkDoneAsync("auto-fix-conflicts session");
        Assert.Equal(SessionStatus.Succeeded, (await _driver.WaitForEndAsync(workspace, (await SingleSessionOfKindAsync(workspace, task, SessionKind.AutoFixConflicts)).Id)).Status);
    }

    [Fact]
    public async Task A_ci_failure_while_the_task_runs_waits_and_starts_after_the_session_ends()
    {
        var (workspace, repository, _, webhook) = await WorkspaceAsync();
        var (task, first) = await TaskWithOpenPrAsync(workspace, repository, webhook, 25);
        var release = SessionDriver.Signal("release");
        var resumed = await _up.CliAsync("-w", workspace, "--json", "tasks", "resume", task.ShortId, "--message", StandInAgent.Script(new { waitFor = release }));
        var busy = JsonSerializer.Deserialize<Session>(resumed.Output, SessionsHost.Json)!;

        await SendAsync(webhook, "check_suite", GitHubPayloads.CheckSuiteCompleted(repository, first.Branch!, new string('d', 40), "failure"));

        await WorkDoneAsync($"waits for session {busy.ShortId}");
        Assert.Equal("PR Submitted", (await _driver.GetTaskAsync(workspace, task.Id)).Status);
        await File.WriteAllTextAsync(release, "go");
        await _driver.WaitForEndAsync(workspace, busy.Id);
        var fix = await Eventually.WaitAsync(async () =>
        {
            var listed = await _up.CliAsync("-w", workspace, "--json", "sessions", "list", "--task", task.ShortId);
            return JsonSerializer.Deserialize<List<Session>>(listed.Output, SessionsHost.Json)!.FirstOrDefault(s => s.Kind == SessionKind.AutoFixCi);
        }, "the waiting auto-fix to start after the session");
        Assert.Equal(SessionStatus.Succeeded, (await _driver.WaitForEndAsync(workspace, fix.Id)).Status);
    }

    [Fact]
    public async Task A_review_requesting_changes_resumes_the_conversation_once_with_the_review_and_its_comments_at_file_and_line()
    {
        var (workspace, repository, remote, webhook) = await WorkspaceAsync();
        Assert.Equal(0, (await _up.CliAsync("-w", workspace, "config", "set", "--auto-fix-reviews", "on")).ExitCode);
        var (task, first) = await TaskWithOpenPrAsync(workspace, repository, webhook, 27);
        var head = (await remote.GitAsync("rev-parse", first.Branch!)).Trim();
        _gitHub.ReviewBodies[555] = "Two things before this can go in.";
        _gitHub.ReviewComments[555] = [("src/sum.ts", 3, "Name this totalOf, please."), ("README.md", 10, "Document the new function.")];
        _gitHub.ReviewBodies[556] = "And one more thing.";

        var response = await SendAsync(webhook, "pull_request_review", GitHubPayloads.ReviewSubmitted(repository, first.Branch!, 27, 555, "changes_requested", head, "Two things before this can go in."));
        var approved = await SendAsync(webhook, "pull_request_review", GitHubPayloads.ReviewSubmitted(repository, first.Branch!, 27, 554, "approved", head, "Looks good."));
        var second = await SendAsync(webhook, "pull_request_review", GitHubPayloads.ReviewSubmitted(repository, first.Branch!, 27, 556, "changes_requested", head, "And one more thing."));

        Assert.Equal("queued: changes-requested", response);
        Assert.Equal("ignored: not a review requesting changes", approved);
        Assert.Equal("queued: changes-requested", second);
        await WorkDoneAsync($"review feedback on {head[..7]} already handled");
        var fix = await SingleSessionOfKindAsync(workspace, task, SessionKind.AutoFixReview);
        var ended = await _driver.WaitForEndAsync(workspace, fix.Id);
        Assert.True(ended.Status == SessionStatus.Succeeded, $"{ended.Status}: {ended.Error}");
        Assert.Equal(first.ClaudeSessionId, ended.ClaudeSessionId);
        var said = string.Join('\n', (await _driver.LogsAsync(workspace, fix.Id)).Select(e => e.Text));
        Assert.Contains("Two things before this can go in.", said, StringComparison.Ordinal);
        Assert.Contains("src/sum.ts:3: Name this totalOf, please.", said, StringComparison.Ordinal);
        Assert.Contains("README.md:10: Document the new function.", said, StringComparison.Ordinal);
        Assert.Contains("Fix it", await remote.GitAsync("log", "-1", "--format=%s", first.Branch!), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Webhook_register_creates_the_hook_through_the_api_with_the_workspaces_token_which_is_never_shown()
    {
        var (workspace, _, _, webhook) = await WorkspaceAsync();
        var token = "ghp_" + Guid.NewGuid().ToString("N");
        var withoutToken = await _up.CliAsync("workspaces", "webhook", workspace, "--register");
        Assert.Equal(1, withoutToken.ExitCode);
        Assert.Contains("--github-token", withoutToken.Error, StringComparison.Ordinal);
        Assert.Equal(0, (await _up.CliWithInputAsync(token, "-w", workspace, "config", "set", "--github-token", "-")).ExitCode);

        var registered = await _up.CliAsync("workspaces", "webhook", workspace, "--register");

        Assert.True(registered.ExitCode == 0, registered.ToString());
        var (body, authorization) = Assert.Single(_gitHub.CreatedHooks);
        var config = JsonDocument.Parse(body).RootElement.GetProperty("config");
        Assert.Equal(webhook.PayloadUrl, config.GetProperty("url").GetString());
        Assert.Equal(webhook.Secret, config.GetProperty("secret").GetString());
        Assert.Equal("json", config.GetProperty("content_type").GetString());
        Assert.Contains(token, authorization, StringComparison.Ordinal);
        var shown = await _up.CliAsync("-w", workspace, "config", "get", "--json");
        Assert.DoesNotContain(token, shown.Output, StringComparison.Ordinal);
        Assert.True(JsonDocument.Parse(shown.Output).RootElement.GetProperty("gitHubTokenSet").GetBoolean());
        Assert.DoesNotContain(token, _up.Output, StringComparison.Ordinal);
    }

    private async Task<(string Workspace, string Repository, GitRemote Remote, Konduktor.Core.GitHub.WebhookView Webhook)> WorkspaceAsync()
    {
        var remote = await GitRemote.CreateAsync();
        var name = "af" + Guid.NewGuid().ToString("N")[..10];
        var repository = $"acme/{name}";
        var created = await _up.CliAsync("workspaces", "create", remote.Path, "--name", name, "--github", repository);
        Assert.True(created.ExitCode == 0, created.ToString());

        // These tests open their PRs through webhooks; Konduktor opening its own is PullRequestTests' subject.
        Assert.Equal(0, (await _up.CliAsync("-w", name, "config", "set", "--pr", "off")).ExitCode);
        // A workspace secret is how its agents get a variable (the runner's own environment never reaches them).
        Assert.Equal(0, (await KonduktorCli.RunAsync(_up.Home, ["-w", name, "secrets", "set", "STANDIN_SCRIPT"], _fixScript + "\n")).ExitCode);
        var webhook = JsonSerializer.Deserialize<Konduktor.Core.GitHub.WebhookView>((await _up.CliAsync("workspaces", "webhook", name, "--json")).Output, SessionsHost.Json)!;
        return (name, repository, remote, webhook);
    }

    /// <summary>A task run once (its conversation exists, its branch is pushed) whose PR GitHub reports opened.</summary>
    private async Task<(TaskItem Task, Session First)> TaskWithOpenPrAsync(string workspace, string repository, Konduktor.Core.GitHub.WebhookView webhook, int number)
    {
        var task = await _driver.CreateTaskAsync(workspace, "Sum the totals", StandInAgent.Script(new { write = "sum.ts", content = "export const sum = 1;\n" }, new { commit = "Sum" }, new { push = true }));
        var first = await _driver.WaitForEndAsync(workspace, (await _driver.RunAsync(workspace, task)).Id);
        Assert.Equal(SessionStatus.Succeeded, first.Status);
        await SendAsync(webhook, "pull_request", GitHubPayloads.PullRequest("opened", repository, first.Branch!, number));
        Assert.Equal("PR Submitted", (await _driver.GetTaskAsync(workspace, task.Id)).Status);
        return (task, first);
    }

    /// <summary>The queued GitHub work's result, as the GitHubWork function logged it.</summary>
    private Task WorkDoneAsync(string result) =>
        Eventually.WaitAsync(() => _up.Output.Split('\n').Any(l => l.Contains("GitHub work", StringComparison.Ordinal) && l.Contains(result, StringComparison.Ordinal)), $"the queued work to say \"{result}\"");

    /// <summary>The task's one session of this kind, waiting for the queued work to start it.</summary>
    private async Task<Session> SingleSessionOfKindAsync(string workspace, TaskItem task, SessionKind kind)
    {
        var sessions = await Eventually.WaitAsync(async () =>
        {
            var listed = await _up.CliAsync("-w", workspace, "--json", "sessions", "list", "--task", task.ShortId);
            var all = JsonSerializer.Deserialize<List<Session>>(listed.Output, SessionsHost.Json)!;
            return all.Any(s => s.Kind == kind) ? all : null;
        }, $"a {kind} session on the task");
        return Assert.Single(sessions, s => s.Kind == kind);
    }

    private static async Task<string> SendAsync(Konduktor.Core.GitHub.WebhookView webhook, string eventName, string body)
    {
        using var http = new HttpClient();
        var response = await http.SendAsync(GitHubPayloads.Delivery(webhook.PayloadUrl, eventName, body, webhook.Secret));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        return JsonDocument.Parse(text).RootElement.GetProperty("result").GetString()!;
    }
}

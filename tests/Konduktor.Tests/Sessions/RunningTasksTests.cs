using System.Net;
using System.Net.Http.Headers;
using Konduktor.Core.Sessions;
using Konduktor.Core.Tasks;
using Konduktor.Tests.Infrastructure;

namespace Konduktor.Tests.Sessions;

/// <summary>A task run end to end: queue, a runner's claim, a worktree on the task's branch, the stand-in agent, logs, outcome.</summary>
public sealed class RunningTasksTests(SessionsHost host) : IClassFixture<SessionsHost>
{
    private readonly SessionDriver _driver = new(host.Up);

    [Fact]
    public async Task A_run_commits_on_the_task_branch_pushes_with_trailers_and_keeps_every_event_in_order()
    {
        var (workspace, remote) = await _driver.CreateWorkspaceAsync();
        var task = await _driver.CreateTaskAsync(workspace, "Add a greeting file", StandInAgent.Script(
            new { say = "I will add the file." },
            new { write = "greeting.txt", content = "hello\n" },
            new { commit = "Add greeting" },
            new { push = true },
            new { result = "success", cost = 0.25, turns = 4, inputTokens = 1000, outputTokens = 200 }));

        var queued = await _driver.RunAsync(workspace, task);
        Assert.Equal(SessionStatus.Queued, queued.Status);
        Assert.Equal(SessionKind.Task, queued.Kind);
        var session = await _driver.WaitForEndAsync(workspace, queued.Id);

        Assert.True(session.Status == SessionStatus.Succeeded, $"{session.Status}: {session.Error}");
        Assert.Equal(0.25m, session.Outcome?.CostUsd);
        Assert.Equal(1000, session.Outcome?.InputTokens);
        Assert.False(string.IsNullOrEmpty(session.ClaudeSessionId));
        var branch = $"konduktor/{task.ShortId}-add-a-greeting-file";
        Assert.Equal(branch, session.Branch);

        var message = await remote.GitAsync("log", "-1", "--format=%s%n%b", branch);
        Assert.Contains("Add greeting", message, StringComparison.Ordinal);
        Assert.Contains($"Konduktor-Task: {task.Id}", message, StringComparison.Ordinal);
        Assert.Contains($"Konduktor-Session: {session.Id}", message, StringComparison.Ordinal);
        Assert.Equal("hello\n", await remote.GitAsync("show", $"{branch}:greeting.txt"));

        var events = await _driver.LogsAsync(workspace, session.Id);
        Assert.Equal(Enumerable.Range(1, events.Count).Select(i => (long)i), events.Select(e => e.Seq));
        Assert.Equal(session.LastSequence, events[^1].Seq);
        var agentEvents = events.Where(e => e.Stream == "stdout").Select(e => ClaudeEvent.Parse(e.Text)).ToList();
        Assert.IsType<ClaudeEvent.Init>(agentEvents[0]);
        Assert.IsType<ClaudeEvent.Result>(agentEvents.Last(e => e is not ClaudeEvent.SessionState));

        var after = await _driver.GetTaskAsync(workspace, task.Id);
        Assert.Equal("In progress", after.Status);
        Assert.Equal(0.25m, after.CostUsd);
        Assert.Equal(branch, after.Branch);
        Assert.Equal(new SessionSummary(session.Id, "succeeded", false), after.LatestSession);

        var transcript = await host.Up.CliAsync("-w", workspace, "tasks", "logs", task.ShortId);
        Assert.Contains("I will add the file.", transcript.Output, StringComparison.Ordinal);
        Assert.Contains("✓ success · 4 turns", transcript.Output, StringComparison.Ordinal);
        Assert.Contains("$0.2500", transcript.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Following_the_logs_prints_events_as_they_come_and_stops_when_the_session_ends()
    {
        var (workspace, _) = await _driver.CreateWorkspaceAsync();
        var release = SessionDriver.Signal("release");
        var task = await _driver.CreateTaskAsync(workspace, "Wait for the test", StandInAgent.Script(
            new { say = "before the wait" }, new { waitFor = release }, new { say = "after the wait" }));
        var session = await _driver.RunAsync(workspace, task);

        using var follower = System.Diagnostics.Process.Start(KonduktorCli.StartInfo(host.Up.Home, ["-w", workspace, "sessions", "logs", session.ShortId, "--follow"]))!;
        var lines = new List<string>();
        var reader = Task.Run(async () =>
        {
            while (await follower.StandardOutput.ReadLineAsync() is { } line)
            {
                lock (lines)
                {
                    lines.Add(line);
                }
            }
        });
        await Eventually.WaitAsync(() => { lock (lines) { return lines.Contains("before the wait"); } }, "the follower to print the first message");
        lock (lines)
        {
            Assert.DoesNotContain("after the wait", lines);
        }

        await File.WriteAllTextAsync(release, "go");
        await follower.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        await reader;

        Assert.Equal(0, follower.ExitCode);
        Assert.Contains("after the wait", lines);
        Assert.Contains(lines, l => l.StartsWith("✓ success", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_task_with_an_active_session_refuses_a_second_run_naming_the_session()
    {
        var (workspace, _) = await _driver.CreateWorkspaceAsync();
        var release = SessionDriver.Signal("release");
        var task = await _driver.CreateTaskAsync(workspace, "Long one", StandInAgent.Script(new { waitFor = release }));
        var first = await _driver.RunAsync(workspace, task);

        var second = await host.Up.CliAsync("-w", workspace, "tasks", "run", task.ShortId);

        Assert.Equal(1, second.ExitCode);
        Assert.Contains(first.ShortId, second.Error, StringComparison.Ordinal);
        Assert.Contains("already has an active session", second.Error, StringComparison.Ordinal);
        await File.WriteAllTextAsync(release, "go");
        Assert.Equal(SessionStatus.Succeeded, (await _driver.WaitForEndAsync(workspace, first.Id)).Status);

        var again = await _driver.RunAsync(workspace, task);
        Assert.NotEqual(first.Id, again.Id);
        await _driver.WaitForEndAsync(workspace, again.Id);
    }

    [Theory]
    [InlineData(3, "boom: the tests are red", null)]
    [InlineData(0, "warning: about to give up", "success-with-error")]
    [InlineData(0, "oops", "error_max_turns")]
    public async Task An_agent_that_fails_or_dies_without_a_result_fails_the_session_with_its_stderr_or_error(int exitCode, string stderr, string? result)
    {
        var (workspace, _) = await _driver.CreateWorkspaceAsync();
        object[] steps = result switch
        {
            null => [new { stderr }, new { exit = exitCode }],
            "success-with-error" => [new { stderr }, new { result = "success", isError = true }],
            _ => [new { stderr }, new { result }],
        };
        var task = await _driver.CreateTaskAsync(workspace, "Doomed", StandInAgent.Script(steps));

        var session = await _driver.WaitForEndAsync(workspace, (await _driver.RunAsync(workspace, task)).Id);

        Assert.Equal(SessionStatus.Failed, session.Status);
        Assert.Equal(exitCode, session.ExitCode);
        if (result is null)
        {
            Assert.Null(session.Outcome);
            Assert.Contains(stderr, session.Error, StringComparison.Ordinal);
            Assert.Contains($"exited with code {exitCode} without a result", session.Error, StringComparison.Ordinal);
        }
        else
        {
            Assert.NotNull(session.Outcome);
            Assert.Contains(result == "success-with-error" ? "success (is_error)" : result, session.Error, StringComparison.Ordinal);
        }

        var taskAfter = await _driver.GetTaskAsync(workspace, task.Id);
        Assert.Equal("failed", taskAfter.LatestSession?.Status);
        Assert.False(taskAfter.LatestSession?.Active);
    }

    [Fact]
    public async Task A_session_token_works_for_its_own_workspace_only_and_expires_with_the_session()
    {
        var (workspace, _) = await _driver.CreateWorkspaceAsync();
        var (other, _) = await _driver.CreateWorkspaceAsync();
        var tokenFile = SessionDriver.Signal("token");
        var release = SessionDriver.Signal("release");
        var task = await _driver.CreateTaskAsync(workspace, "Use the CLI", StandInAgent.Script(
            new { konduktor = new[] { "tasks", "list" } },
            new { konduktor = new[] { "-w", other, "tasks", "list" } },
            new { saveEnv = "KONDUKTOR_TOKEN", to = tokenFile },
            new { waitFor = release }));
        var session = await _driver.RunAsync(workspace, task);
        await Eventually.WaitAsync(() => File.Exists(tokenFile), "the agent to save its token");
        var token = (await File.ReadAllTextAsync(tokenFile)).Trim();

        using var asAgent = host.Up.Http(token);
        Assert.Equal(HttpStatusCode.OK, (await asAgent.GetAsync($"api/workspaces/{workspace}/tasks")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await asAgent.GetAsync($"api/workspaces/{other}/tasks")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await asAgent.PostAsync("api/workspaces", new StringContent("{\"repository\":\"a/b\"}", new MediaTypeHeaderValue("application/json")))).StatusCode);

        await File.WriteAllTextAsync(release, "go");
        await _driver.WaitForEndAsync(workspace, session.Id);
        Assert.Equal(HttpStatusCode.Unauthorized, (await asAgent.GetAsync($"api/workspaces/{workspace}/tasks")).StatusCode);

        var transcript = string.Join('\n', (await _driver.LogsAsync(workspace, session.Id)).Select(e => e.Text));
        Assert.Contains("Use the CLI", transcript, StringComparison.Ordinal);
        Assert.Contains("may not use workspace " + other, transcript, StringComparison.Ordinal);
        Assert.DoesNotContain(token, transcript, StringComparison.Ordinal);
    }
}

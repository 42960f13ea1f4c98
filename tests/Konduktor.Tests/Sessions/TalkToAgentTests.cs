using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Konduktor.Core.Questions;
using Konduktor.Core.Sessions;
using Konduktor.Tests.Infrastructure;

namespace Konduktor.Tests.Sessions;

/// <summary>A person talks to a running agent: messages at its next turn or at once, durable until delivered, in the log as the person's turns.</summary>
public sealed class TalkToAgentTests(SessionsHost host, AzuriteFixture azurite) : IClassFixture<SessionsHost>
{
    private readonly SessionDriver _driver = new(host.Up);

    [Fact]
    public async Task A_message_said_while_the_agent_works_reaches_it_at_its_next_turn_and_the_log_shows_who_said_it()
    {
        var (workspace, _) = await _driver.CreateWorkspaceAsync();
        var (started, release) = (SessionDriver.Signal("started"), SessionDriver.Signal("release"));
        var task = await _driver.CreateTaskAsync(workspace, "Works a while", StandInAgent.Script(new { touch = started }, new { waitFor = release }, new { say = "first turn done" }));
        var session = await _driver.RunAsync(workspace, task);
        await Eventually.WaitAsync(() => File.Exists(started), "the agent to start");

        var say = await host.Up.CliAsync("-w", workspace, "tasks", "say", task.ShortId, "Please also add a README.");
        Assert.True(say.ExitCode == 0, say.ToString());
        Assert.Contains($"Told session {session.ShortId}", say.Output, StringComparison.Ordinal);
        await Eventually.WaitAsync(async () => (await _driver.MessagesAsync(workspace, task.ShortId)).SingleOrDefault(m => m.DeliveredAt is not null), "the runner to give the message to the agent");
        await File.WriteAllTextAsync(release, "go", TestContext.Current.CancellationToken);
        var ended = await _driver.WaitForEndAsync(workspace, session.Id);

        Assert.True(ended.Status == SessionStatus.Succeeded, $"{ended.Status}: {ended.Error}");
        var logs = await _driver.LogsAsync(workspace, session.Id);
        var turns = logs.Where(e => e.Stream == "person").Select(e => JsonSerializer.Deserialize<PersonTurn>(e.Text, SessionsHost.Json)!).ToList();
        Assert.Equal([MessageVia.Prompt, MessageVia.Say], turns.Select(t => t.Via));
        Assert.Equal("Please also add a README.", turns[1].Text);
        Assert.False(string.IsNullOrEmpty(turns[1].From));
        var heard = logs.FindIndex(e => e.Stream == "stdout" && e.Text.Contains("heard: Please also add a README.", StringComparison.Ordinal));
        Assert.True(heard > logs.FindIndex(e => e.Stream == "stdout" && e.Text.Contains("first turn done", StringComparison.Ordinal)), "the agent answered the message before it finished its turn");
        var message = Assert.Single(await _driver.MessagesAsync(workspace, task.ShortId));
        Assert.Equal(session.Id, message.DeliveredInSessionId);

        var transcript = await host.Up.CliAsync("-w", workspace, "tasks", "logs", task.ShortId);
        Assert.Contains($"▶ {turns[1].From} said (", transcript.Output, StringComparison.Ordinal);
        Assert.Contains("  Please also add a README.", transcript.Output, StringComparison.Ordinal);
        Assert.Contains($"▶ {turns[0].From} started it (", transcript.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Now_interrupts_the_turn_in_flight_and_the_agent_answers_the_message_next()
    {
        var (workspace, _) = await _driver.CreateWorkspaceAsync();
        var started = SessionDriver.Signal("started");
        var task = await _driver.CreateTaskAsync(workspace, "Would never finish", StandInAgent.Script(new { touch = started }, new { waitFor = started + ".never" }));
        var session = await _driver.RunAsync(workspace, task);
        await Eventually.WaitAsync(() => File.Exists(started), "the agent to start");

        var say = await host.Up.CliAsync("-w", workspace, "tasks", "say", task.ShortId, "--now", "Stop that and say hello.");
        Assert.True(say.ExitCode == 0, say.ToString());
        var ended = await _driver.WaitForEndAsync(workspace, session.Id, TimeSpan.FromSeconds(30));

        Assert.True(ended.Status == SessionStatus.Succeeded, $"{ended.Status}: {ended.Error}");
        var said = string.Join('\n', (await _driver.LogsAsync(workspace, session.Id)).Select(e => e.Text));
        Assert.Contains("[Request interrupted by user]", said, StringComparison.Ordinal);
        Assert.Contains("heard: Stop that and say hello.", said, StringComparison.Ordinal);
        var transcript = await host.Up.CliAsync("-w", workspace, "tasks", "logs", task.ShortId);
        Assert.Contains("said, interrupting (", transcript.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_message_said_while_the_session_is_queued_is_in_the_agents_first_prompt_after_the_task()
    {
        await using var up = await KonduktorUp.StartAsync(storage: azurite.ConnectionString, extraArguments: ["--no-runner"]);
        var driver = new SessionDriver(up);
        var (workspace, _) = await driver.CreateWorkspaceAsync();
        var task = await driver.CreateTaskAsync(workspace, "Waits for a runner", StandInAgent.Script(new { echoPrompt = true }));
        var session = await driver.RunAsync(workspace, task);
        var say = await up.CliAsync("-w", workspace, "tasks", "say", task.ShortId, "Mind the tests too.");
        Assert.True(say.ExitCode == 0, say.ToString());

        await using var runner = await RunnerProcess.StartAsync(up.Home, "late");
        var ended = await driver.WaitForEndAsync(workspace, session.Id, TimeSpan.FromSeconds(60));

        Assert.True(ended.Status == SessionStatus.Succeeded, $"{ended.Status}: {ended.Error}");
        var logs = await driver.LogsAsync(workspace, session.Id);
        var prompt = logs.Single(e => e.Stream == "stdout" && e.Text.Contains("PROMPT:", StringComparison.Ordinal)).Text;
        Assert.Contains("Mind the tests too.", prompt, StringComparison.Ordinal);
        Assert.True(prompt.IndexOf("Waits for a runner", StringComparison.Ordinal) < prompt.IndexOf("Mind the tests too.", StringComparison.Ordinal), "the message came before the task");
        Assert.Equal([MessageVia.Prompt, MessageVia.Say], logs.Where(e => e.Stream == "person").Select(e => JsonSerializer.Deserialize<PersonTurn>(e.Text, SessionsHost.Json)!.Via));
    }

    [Fact]
    public async Task Saying_something_to_a_task_whose_session_ended_says_so_offers_a_resume_and_keeps_nothing()
    {
        var (workspace, _) = await _driver.CreateWorkspaceAsync();
        var task = await _driver.CreateTaskAsync(workspace, "Quick", StandInAgent.Script(new { say = "done" }));
        await _driver.WaitForEndAsync(workspace, (await _driver.RunAsync(workspace, task)).Id);

        var late = await host.Up.CliAsync("-w", workspace, "tasks", "say", task.ShortId, "Too late?");
        Assert.NotEqual(0, late.ExitCode);
        Assert.Single(late.Error.Trim().Split('\n'));
        Assert.Contains($"konduktor tasks resume {task.ShortId} -m", late.Error, StringComparison.Ordinal);
        using var http = host.Up.Http();
        using var response = await http.PostAsJsonAsync($"api/workspaces/{workspace}/tasks/{task.ShortId}/say", new { text = "Too late?" }, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var empty = await host.Up.CliAsync("-w", workspace, "tasks", "say", task.ShortId, "   ");
        Assert.NotEqual(0, empty.ExitCode);
        Assert.Contains("empty", empty.Error, StringComparison.Ordinal);
        Assert.Empty(await _driver.MessagesAsync(workspace, task.ShortId));
    }

    [Fact]
    public async Task A_stop_ends_the_session_within_five_seconds_even_when_the_agents_child_ignores_sigterm()
    {
        var (workspace, _) = await _driver.CreateWorkspaceAsync();
        var started = SessionDriver.Signal("started");
        var task = await _driver.CreateTaskAsync(workspace, "Stubborn child", StandInAgent.Script(
            new { spawn = new[] { "/bin/sh", "-c", "trap '' TERM; while :; do sleep 1; done" } },
            new { touch = started },
            new { waitFor = started + ".never" }));
        var session = await _driver.RunAsync(workspace, task);
        await Eventually.WaitAsync(() => File.Exists(started), "the agent to start its child");
        await Eventually.WaitAsync(async () => await _driver.GetSessionAsync(workspace, session.Id) is { Status: SessionStatus.Running } running ? running : null, "the session to run");

        var stop = await host.Up.CliAsync("-w", workspace, "tasks", "stop", task.ShortId);
        var clock = Stopwatch.StartNew();
        Assert.True(stop.ExitCode == 0, stop.ToString());
        var ended = await _driver.WaitForEndAsync(workspace, session.Id, TimeSpan.FromSeconds(30));
        var took = clock.Elapsed;

        Assert.Equal(SessionStatus.Stopped, ended.Status);
        Assert.True(took < TimeSpan.FromSeconds(5), $"the stop took {took.TotalSeconds:0.0} s");
    }

    [Fact]
    public async Task An_answer_to_a_question_the_running_agent_asked_goes_straight_in_without_a_new_session()
    {
        var (workspace, _) = await _driver.CreateWorkspaceAsync();
        var (asked, release) = (SessionDriver.Signal("asked"), SessionDriver.Signal("release"));
        var task = await _driver.CreateTaskAsync(workspace, "Asks and goes on", StandInAgent.Script(
            new { konduktor = new[] { "questions", "ask", "Which colour?" } }, new { touch = asked }, new { waitFor = release }));
        var session = await _driver.RunAsync(workspace, task);
        await Eventually.WaitAsync(() => File.Exists(asked), "the agent to ask");
        var questions = await host.Up.CliAsync("-w", workspace, "--json", "questions", "list", "--open");
        var question = Assert.Single(JsonSerializer.Deserialize<List<Question>>(questions.Output, SessionsHost.Json)!);

        var answer = await host.Up.CliAsync("-w", workspace, "--json", "questions", "answer", question.ShortId, "Blue.");
        Assert.True(answer.ExitCode == 0, answer.ToString());
        Assert.Equal(session.Id, JsonSerializer.Deserialize<Question>(answer.Output, SessionsHost.Json)!.ResumeSessionId);
        await Eventually.WaitAsync(async () => (await _driver.MessagesAsync(workspace, task.ShortId)).SingleOrDefault(m => m.DeliveredAt is not null), "the answer to reach the agent");
        await File.WriteAllTextAsync(release, "go", TestContext.Current.CancellationToken);
        var ended = await _driver.WaitForEndAsync(workspace, session.Id);

        Assert.True(ended.Status == SessionStatus.Succeeded, $"{ended.Status}: {ended.Error}");
        var said = string.Join('\n', (await _driver.LogsAsync(workspace, session.Id)).Select(e => e.Text));
        Assert.Contains("heard: You asked: Which colour?", said, StringComparison.Ordinal);
        Assert.Contains("Blue.", said, StringComparison.Ordinal);
        var sessions = await host.Up.CliAsync("-w", workspace, "--json", "sessions", "list", "--task", task.ShortId);
        Assert.Single(JsonSerializer.Deserialize<List<Session>>(sessions.Output, SessionsHost.Json)!);
    }

    [Fact]
    public async Task Deleting_a_task_whose_agent_works_is_refused_with_how_to_stop_it_and_the_agent_keeps_working()
    {
        var (workspace, _) = await _driver.CreateWorkspaceAsync();
        var (started, release) = (SessionDriver.Signal("started"), SessionDriver.Signal("release"));
        var task = await _driver.CreateTaskAsync(workspace, "Busy", StandInAgent.Script(new { touch = started }, new { waitFor = release }));
        var session = await _driver.RunAsync(workspace, task);
        await Eventually.WaitAsync(() => File.Exists(started), "the agent to start");

        var delete = await host.Up.CliAsync("-w", workspace, "tasks", "delete", task.ShortId);
        Assert.NotEqual(0, delete.ExitCode);
        Assert.Contains($"konduktor tasks stop {task.ShortId}", delete.Error, StringComparison.Ordinal);
        Assert.Equal(task.Id, (await _driver.GetTaskAsync(workspace, task.Id)).Id);

        await File.WriteAllTextAsync(release, "go", TestContext.Current.CancellationToken);
        Assert.Equal(SessionStatus.Succeeded, (await _driver.WaitForEndAsync(workspace, session.Id)).Status);
        var deleted = await host.Up.CliAsync("-w", workspace, "tasks", "delete", task.ShortId);
        Assert.True(deleted.ExitCode == 0, deleted.ToString());
    }

    [Fact]
    public async Task A_message_the_conversation_already_holds_is_not_given_again_when_its_delivery_was_never_recorded()
    {
        var (workspace, _) = await _driver.CreateWorkspaceAsync();
        var (started, release) = (SessionDriver.Signal("started"), SessionDriver.Signal("release"));
        var task = await _driver.CreateTaskAsync(workspace, "Heard once", StandInAgent.Script(new { touch = started }, new { waitFor = release }));
        var first = await _driver.RunAsync(workspace, task);
        await Eventually.WaitAsync(() => File.Exists(started), "the agent to start");
        Assert.Equal(0, (await host.Up.CliAsync("-w", workspace, "tasks", "say", task.ShortId, "Use tabs not spaces")).ExitCode);
        await Eventually.WaitAsync(async () => (await _driver.MessagesAsync(workspace, task.ShortId)).SingleOrDefault(m => m.DeliveredAt is not null), "the message to reach the agent");
        await File.WriteAllTextAsync(release, "go", TestContext.Current.CancellationToken);
        Assert.Equal(SessionStatus.Succeeded, (await _driver.WaitForEndAsync(workspace, first.Id)).Status);

        // A runner that wrote the message to its agent and died before recording it: the record is gone, the conversation has it.
        var table = new Azure.Data.Tables.TableClient(azurite.ConnectionString, host.Prefix + "sessionmessages");
        var row = Assert.Single(table.Query<Azure.Data.Tables.TableEntity>(e => e.PartitionKey == task.Id.ToString("D"), cancellationToken: TestContext.Current.CancellationToken));
        row.Remove("DeliveredAt");
        row.Remove("DeliveredInSessionId");
        await table.UpdateEntityAsync(row, row.ETag, Azure.Data.Tables.TableUpdateMode.Replace, TestContext.Current.CancellationToken);
        Assert.Null(Assert.Single(await _driver.MessagesAsync(workspace, task.ShortId)).DeliveredAt);

        var second = await _driver.WaitForEndAsync(workspace, (await _driver.ResumeAsync(workspace, task, StandInAgent.Script(new { echoPrompt = true }))).Id);

        Assert.True(second.Status == SessionStatus.Succeeded, $"{second.Status}: {second.Error}");
        var logs = await _driver.LogsAsync(workspace, second.Id);
        Assert.Contains(logs, e => e.Stream == "konduktor" && e.Text.Contains("not given again", StringComparison.Ordinal));
        Assert.DoesNotContain("Use tabs not spaces", logs.Single(e => e.Text.Contains("PROMPT:", StringComparison.Ordinal)).Text, StringComparison.Ordinal);
        Assert.DoesNotContain(logs, e => e.Stream == "person" && e.Text.Contains("Use tabs not spaces", StringComparison.Ordinal));
        Assert.Equal(second.Id, Assert.Single(await _driver.MessagesAsync(workspace, task.ShortId)).DeliveredInSessionId);
    }
}

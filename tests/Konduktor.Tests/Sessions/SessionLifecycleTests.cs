using Azure.Storage.Queues;
using Konduktor.Core.Sessions;
using Konduktor.Runner.Processes;
using Konduktor.Tests.Infrastructure;

namespace Konduktor.Tests.Sessions;

/// <summary>Sessions you can trust: stop, resume (on any runner), orphans, lost and poisoned job messages.</summary>
public sealed class SessionLifecycleTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task Stopping_mid_run_kills_the_whole_process_tree_and_keeps_the_worktree()
    {
        await using var up = await KonduktorUp.StartAsync(storage: azurite.ConnectionString);
        var driver = new SessionDriver(up);
        var (workspace, _) = await driver.CreateWorkspaceAsync();
        var started = SessionDriver.Signal("started");
        var sleep = MarkedProcesses.NewSleep();
        var task = await driver.CreateTaskAsync(workspace, "Runs forever", StandInAgent.Script(
            new { write = "notes.txt", content = "work in progress\n" },
            new { spawn = new[] { "sleep", sleep } },
            new { touch = started },
            new { waitFor = started + ".never" }));
        var session = await driver.RunAsync(workspace, task);
        await Eventually.WaitAsync(() => File.Exists(started), "the agent to start its child");
        var child = Assert.Single(MarkedProcesses.WithArgument(sleep));

        var stop = await up.CliAsync("-w", workspace, "tasks", "stop", task.ShortId);
        Assert.True(stop.ExitCode == 0, stop.ToString());
        var ended = await driver.WaitForEndAsync(workspace, session.Id, TimeSpan.FromSeconds(20));

        Assert.Equal(SessionStatus.Stopped, ended.Status);
        var pids = new[] { child, await driver.AgentPidAsync(workspace, session.Id) };
        Assert.All(pids, pid => Assert.False(ProcessSignals.IsAlive(pid), $"pid {pid} survived the stop"));
        Assert.Empty(MarkedProcesses.WithArgument(sleep));
        var worktree = Directory.GetDirectories(Path.Combine(up.Home, "runners", "local", "worktrees"), "*", SearchOption.AllDirectories).Single(d => File.Exists(Path.Combine(d, "notes.txt")));
        Assert.Equal("work in progress\n", await File.ReadAllTextAsync(Path.Combine(worktree, "notes.txt")));
        Assert.False((await driver.GetTaskAsync(workspace, task.Id)).LatestSession!.Active);
    }

    [Fact]
    public async Task A_resume_continues_the_same_conversation_in_the_same_worktree_with_the_new_message()
    {
        await using var up = await KonduktorUp.StartAsync(storage: azurite.ConnectionString);
        var driver = new SessionDriver(up);
        var (workspace, _) = await driver.CreateWorkspaceAsync();
        var task = await driver.CreateTaskAsync(workspace, "Two steps", StandInAgent.Script(new { write = "step1.txt", content = "one\n" }, new { commit = "Step one" }));
        var first = await driver.WaitForEndAsync(workspace, (await driver.RunAsync(workspace, task)).Id);

        var resume = await up.CliAsync("-w", workspace, "tasks", "resume", task.ShortId, "--message",
            "Now do step two.\n" + StandInAgent.Script(new { echoPrompt = true }, new { write = "step2.txt", content = "two\n" }, new { commit = "Step two" }));
        Assert.True(resume.ExitCode == 0, resume.ToString());
        var sessions = await up.CliAsync("-w", workspace, "sessions", "list", "--task", task.ShortId, "--json");
        var second = System.Text.Json.JsonSerializer.Deserialize<List<Session>>(sessions.Output, SessionsHost.Json)!.First();
        var ended = await driver.WaitForEndAsync(workspace, second.Id);

        Assert.Equal(SessionStatus.Succeeded, ended.Status);
        Assert.Equal(SessionKind.Resume, ended.Kind);
        Assert.Equal(first.ClaudeSessionId, ended.ClaudeSessionId);
        var events = (await driver.LogsAsync(workspace, ended.Id)).Where(e => e.Stream == "stdout").Select(e => ClaudeEvent.Parse(e.Text)).ToList();
        var said = string.Join('\n', events.OfType<ClaudeEvent.Message>().SelectMany(m => m.Parts).Select(p => p.Text));
        Assert.Contains("Now do step two.", said, StringComparison.Ordinal);
        Assert.Contains($"RESUME: {first.ClaudeSessionId}", said, StringComparison.Ordinal);
        var firstCwd = (await driver.LogsAsync(workspace, first.Id)).Select(e => ClaudeEvent.Parse(e.Text)).OfType<ClaudeEvent.Init>().Single().Cwd;
        Assert.Equal(firstCwd, events.OfType<ClaudeEvent.Init>().Single().Cwd);
        Assert.True(File.Exists(Path.Combine(firstCwd!, "step1.txt")) && File.Exists(Path.Combine(firstCwd!, "step2.txt")));
    }

    [Fact]
    public async Task A_resume_on_another_runner_restores_the_transcript_and_the_branch_first()
    {
        await using var up = await KonduktorUp.StartAsync(storage: azurite.ConnectionString, extraArguments: ["--no-runner"]);
        var driver = new SessionDriver(up);
        var (workspace, remote) = await driver.CreateWorkspaceAsync();
        var task = await driver.CreateTaskAsync(workspace, "Moves between machines", StandInAgent.Script(new { write = "first.txt", content = "from runner one\n" }, new { commit = "First half" }));
        Session first;
        await using (var one = await RunnerProcess.StartAsync(up.Home, "one", workDirectory: Directory.CreateTempSubdirectory("konduktor-runner-one-").FullName))
        {
            first = await driver.WaitForEndAsync(workspace, (await driver.RunAsync(workspace, task)).Id);
        }

        Assert.Equal(SessionStatus.Succeeded, first.Status);
        Assert.Contains("First half", await remote.GitAsync("log", "--format=%s", first.Branch!), StringComparison.Ordinal);

        await using var two = await RunnerProcess.StartAsync(up.Home, "two", workDirectory: Directory.CreateTempSubdirectory("konduktor-runner-two-").FullName,
            userHome: Directory.CreateTempSubdirectory("konduktor-user-two-").FullName);
        var resumed = await up.CliAsync("-w", workspace, "--json", "tasks", "resume", task.ShortId, "--message", StandInAgent.Script(new { write = "second.txt", content = "from runner two\n" }, new { commit = "Second half" }, new { push = true }));
        Assert.True(resumed.ExitCode == 0, resumed.ToString());
        Session second;
        try
        {
            second = await driver.WaitForEndAsync(workspace, System.Text.Json.JsonSerializer.Deserialize<Session>(resumed.Output, SessionsHost.Json)!.Id);
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"{e.Message}\n--- runner two:\n{two.Output}\n--- up:\n{up.Output}", e);
        }

        Assert.True(second.Status == SessionStatus.Succeeded, $"{second.Status}: {second.Error}");
        Assert.Equal("two", second.RunnerName);
        var logs = string.Join('\n', (await driver.LogsAsync(workspace, second.Id)).Select(e => e.Text));
        Assert.Contains("restored the transcript", logs, StringComparison.Ordinal);
        Assert.Equal("from runner one\n", await remote.GitAsync("show", $"{first.Branch}:first.txt"));
        Assert.Equal("from runner two\n", await remote.GitAsync("show", $"{first.Branch}:second.txt"));
    }

    [Fact]
    public async Task A_runner_killed_mid_session_takes_its_agent_with_it_and_leaves_the_session_orphaned_then_resumable_in_the_same_conversation()
    {
        await using var up = await KonduktorUp.StartAsync(storage: azurite.ConnectionString, extraArguments: ["--no-runner"], environment: KonduktorUp.QuickJanitor);
        var driver = new SessionDriver(up);
        var (workspace, _) = await driver.CreateWorkspaceAsync();
        var workDirectory = Directory.CreateTempSubdirectory("konduktor-runner-crash-").FullName;
        var started = SessionDriver.Signal("started");
        var task = await driver.CreateTaskAsync(workspace, "Interrupted", StandInAgent.Script(new { touch = started }, new { waitFor = started + ".never" }));
        var runner = await RunnerProcess.StartAsync(up.Home, "fragile", workDirectory: workDirectory);
        var session = await driver.RunAsync(workspace, task);
        await Eventually.WaitAsync(() => File.Exists(started), "the agent to start");
        await Eventually.WaitAsync(async () => (await driver.GetSessionAsync(workspace, session.Id)).ClaudeSessionId, "the runner to report the Claude session id");

        var agentPid = await driver.AgentPidAsync(workspace, session.Id);
        runner.Crash();

        await Eventually.WaitAsync(() => !ProcessSignals.IsAlive(agentPid), "the agent to end with its runner", TimeSpan.FromSeconds(10));
        Assert.True((await driver.GetSessionAsync(workspace, session.Id)).IsActive, "the agent ended before Konduktor could orphan its session");
        var orphaned = await driver.WaitForEndAsync(workspace, session.Id, TimeSpan.FromSeconds(30));
        Assert.Equal(SessionStatus.Orphaned, orphaned.Status);
        Assert.Contains("stopped heartbeating", orphaned.Error, StringComparison.Ordinal);
        await runner.DisposeAsync();
        await using var restarted = await RunnerProcess.StartAsync(up.Home, "fragile", workDirectory: workDirectory);
        var resumed = await up.CliAsync("-w", workspace, "--json", "tasks", "resume", task.ShortId, "--message", StandInAgent.Script(new { say = "picked up" }));
        Assert.True(resumed.ExitCode == 0, resumed.ToString());
        var after = await driver.WaitForEndAsync(workspace, System.Text.Json.JsonSerializer.Deserialize<Session>(resumed.Output, SessionsHost.Json)!.Id);
        Assert.True(after.Status == SessionStatus.Succeeded, $"{after.Status}: {after.Error}");
        var logs = string.Join('\n', (await driver.LogsAsync(workspace, after.Id)).Select(e => e.Text));
        Assert.Contains($"continuing conversation {orphaned.ClaudeSessionId}", logs, StringComparison.Ordinal);
        var all = await up.CliAsync("-w", workspace, "--json", "sessions", "list", "--task", task.ShortId);
        Assert.Equal(2, System.Text.Json.JsonSerializer.Deserialize<List<Session>>(all.Output, SessionsHost.Json)!.Count);
    }

    [Fact]
    public async Task A_lost_job_message_is_sent_again_and_the_session_runs_once()
    {
        var prefix = AzuriteFixture.NewPrefix();
        await using var up = await KonduktorUp.StartAsync(storage: azurite.ConnectionString, prefix: prefix, extraArguments: ["--no-runner"], environment: KonduktorUp.QuickJanitor);
        var driver = new SessionDriver(up);
        var (workspace, _) = await driver.CreateWorkspaceAsync();
        var counter = SessionDriver.Signal("runs");
        var task = await driver.CreateTaskAsync(workspace, "Lost in the post", StandInAgent.Script(new { append = counter }));
        var session = await driver.RunAsync(workspace, task);
        var queue = new QueueClient(azurite.ConnectionString, prefix + SessionJobs.Name);
        await queue.ClearMessagesAsync();

        await using var runner = await RunnerProcess.StartAsync(up.Home, "finder");
        var ended = await driver.WaitForEndAsync(workspace, session.Id, TimeSpan.FromSeconds(30));

        Assert.Equal(SessionStatus.Succeeded, ended.Status);
        Assert.Contains("sent it again", up.Output, StringComparison.Ordinal);
        Assert.Single(File.ReadAllLines(counter));
    }

    [Fact]
    public async Task A_job_message_delivered_too_often_fails_its_session_with_the_reason_and_goes_to_the_poison_queue()
    {
        var prefix = AzuriteFixture.NewPrefix();
        await using var up = await KonduktorUp.StartAsync(storage: azurite.ConnectionString, prefix: prefix, extraArguments: ["--no-runner"]);
        var driver = new SessionDriver(up);
        var (workspace, _) = await driver.CreateWorkspaceAsync();
        var task = await driver.CreateTaskAsync(workspace, "Cursed", StandInAgent.Script(new { say = "never runs" }));
        var session = await driver.RunAsync(workspace, task);
        var queue = new QueueClient(azurite.ConnectionString, prefix + SessionJobs.Name);
        for (var i = 0; i < SessionJobs.MaxDeliveries; i++)
        {
            // A runner that takes the message and dies before claiming, again and again.
            var message = (await queue.ReceiveMessageAsync(TimeSpan.FromSeconds(30))).Value;
            await queue.UpdateMessageAsync(message.MessageId, message.PopReceipt, visibilityTimeout: TimeSpan.Zero);
        }

        await using var runner = await RunnerProcess.StartAsync(up.Home, "careful");
        var ended = await driver.WaitForEndAsync(workspace, session.Id, TimeSpan.FromSeconds(30));

        Assert.Equal(SessionStatus.Failed, ended.Status);
        Assert.Contains("delivered 6 times", ended.Error, StringComparison.Ordinal);
        Assert.Contains("poison queue", ended.Error, StringComparison.Ordinal);
        var poison = new QueueClient(azurite.ConnectionString, prefix + SessionJobs.PoisonName);
        var poisoned = (await poison.PeekMessagesAsync(10)).Value;
        Assert.Contains(session.Id.ToString(), Assert.Single(poisoned).MessageText, StringComparison.Ordinal);
        await Eventually.WaitAsync(async () => (await queue.GetPropertiesAsync()).Value.ApproximateMessagesCount == 0 ? "" : null, "the runner to delete the poisoned message");
    }

    [Fact]
    public async Task Cleanup_removes_the_worktree_of_a_done_task_but_keeps_and_reports_one_with_unpushed_commits()
    {
        await using var up = await KonduktorUp.StartAsync(storage: azurite.ConnectionString, extraArguments: ["--no-runner"]);
        var driver = new SessionDriver(up);
        var (workspace, _) = await driver.CreateWorkspaceAsync();
        var workDirectory = Directory.CreateTempSubdirectory("konduktor-runner-cleanup-").FullName;
        await using var runner = await RunnerProcess.StartAsync(up.Home, "tidy", workDirectory: workDirectory, extraArguments: ["--cleanup-interval", "1"]);
        var finished = await driver.CreateTaskAsync(workspace, "Finished and merged", StandInAgent.Script(new { write = "a.txt", content = "a\n" }, new { commit = "A" }, new { push = true }));
        var unsaved = await driver.CreateTaskAsync(workspace, "Finished but not all pushed", StandInAgent.Script(new { write = "b.txt", content = "b\n" }, new { commit = "B" }, new { push = true }));
        var first = await driver.WaitForEndAsync(workspace, (await driver.RunAsync(workspace, finished)).Id);
        var second = await driver.WaitForEndAsync(workspace, (await driver.RunAsync(workspace, unsaved)).Id);
        var worktrees = Path.Combine(workDirectory, "worktrees");
        string WorktreeOf(Session s) => Directory.GetDirectories(worktrees, "*", SearchOption.AllDirectories).Single(d => Path.GetFileName(d).StartsWith(s.Branch!["konduktor/".Length..], StringComparison.Ordinal));
        var finishedTree = WorktreeOf(first);
        var unsavedTree = WorktreeOf(second);
        await File.WriteAllTextAsync(Path.Combine(unsavedTree, "late.txt"), "a person's late change\n");
        await GitRemote.Git(unsavedTree, "add", "late.txt");
        await GitRemote.Git(unsavedTree, "-c", "user.name=P", "-c", "user.email=p@example.com", "commit", "-q", "-m", "Late change, not pushed");

        Assert.Equal(0, (await up.CliAsync("-w", workspace, "tasks", "move", finished.ShortId, "Done")).ExitCode);
        Assert.Equal(0, (await up.CliAsync("-w", workspace, "tasks", "move", unsaved.ShortId, "Closed")).ExitCode);
        await Eventually.WaitAsync(() => !Directory.Exists(finishedTree), $"the done task's worktree to be removed\n{runner.Output}", TimeSpan.FromSeconds(30));
        await Eventually.WaitAsync(async () => (await up.CliAsync("runner", "status", "--name", "tidy")).Output is var status && status.Contains("1 unpushed commit", StringComparison.Ordinal) ? status : null,
            "runner status to report the kept worktree", TimeSpan.FromSeconds(40));

        Assert.True(File.Exists(Path.Combine(unsavedTree, "late.txt")));
        var status = (await up.CliAsync("runner", "status", "--name", "tidy")).Output;
        Assert.Contains(Path.GetFileName(unsavedTree), status, StringComparison.Ordinal);
        Assert.Matches(@"disk \d+\.\d MB", status);
    }
}

using System.Net.Http.Json;
using System.Text.Json;
using Azure.Storage.Blobs;
using Konduktor.Core;
using Konduktor.Core.Sessions;
using Konduktor.Core.Tasks;
using Konduktor.Runner.Processes;
using Konduktor.Runner.Worker;
using Konduktor.Tests.Infrastructure;

namespace Konduktor.Tests.Sessions;

/// <summary>One fake Messages API and one <c>up</c> whose local runner runs the real Claude Code against it.</summary>
public sealed class RealClaudeHost(AzuriteFixture azurite) : IAsyncLifetime
{
    public FakeAnthropic Api { get; private set; } = null!;

    public KonduktorUp Up { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        Api = await FakeAnthropic.StartAsync();
        Up = await KonduktorUp.StartAsync(storage: azurite.ConnectionString, extraArguments: ["--agent-command", RealClaude.Executable], environment: RealClaude.Environment(Api));
    }

    public async ValueTask DisposeAsync()
    {
        await Up.DisposeAsync();
        await Api.DisposeAsync();
    }
}

/// <summary>
/// Contract tests: every session behaviour that depends on how Claude Code really behaves, through <c>up</c>, a runner and
/// the real <c>claude</c> binary (pinned in package.json) driven by a fake of Anthropic's Messages API.
/// </summary>
public sealed class RealClaudeTests(RealClaudeHost host, AzuriteFixture azurite) : IClassFixture<RealClaudeHost>
{
    private readonly SessionDriver _driver = new(host.Up);

    [Fact]
    public void Up_checks_the_real_claude_before_its_runner_takes_jobs_and_names_its_version_and_sign_in()
    {
        using var packages = JsonDocument.Parse(File.ReadAllText(Path.Combine(KonduktorCli.RepositoryRoot, "package.json")));
        var pinned = packages.RootElement.GetProperty("dependencies").GetProperty("@anthropic-ai/claude-code").GetString();

        Assert.Contains($"» Agent: Claude Code {pinned}, signed in with an API key", host.Up.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_task_runs_on_the_real_claude_with_a_150_KiB_description_given_on_stdin_and_commits_on_its_branch()
    {
        var (workspace, remote) = await _driver.CreateWorkspaceAsync();
        var configured = await host.Up.CliWithInputAsync("Always sign your work as the-konduktor-system-prompt.", "-w", workspace, "config", "set", "--system-prompt-file", "-");
        Assert.True(configured.ExitCode == 0, configured.ToString());
        var release = SessionDriver.Signal("release");
        var marker = "end-of-a-long-description-" + Guid.NewGuid().ToString("N");
        var description = FakeAnthropic.Script(
            new { waitFor = release, bash = "printf 'hello\\n' > greeting.txt && git add greeting.txt && git commit -qm 'Add greeting'" },
            new { text = "I added the greeting." })
            + string.Concat(Enumerable.Repeat("A line of context the agent should read in full. ", 3200)) + marker;
        Assert.True(description.Length > 150 * 1024, $"the description is {description.Length} characters");
        var task = await _driver.CreateTaskAsync(workspace, "Add a greeting", description);

        var queued = await _driver.RunAsync(workspace, task);
        var pid = await Eventually.WaitAsync(async () => (await _driver.LogsAsync(workspace, queued.Id)).Any(e => e.Text.StartsWith("agent started (pid ", StringComparison.Ordinal))
            ? (object)await _driver.AgentPidAsync(workspace, queued.Id) : null, "the agent to start");
        var commandLine = await File.ReadAllTextAsync($"/proc/{pid}/cmdline");
        await Eventually.WaitAsync(() => host.Api.RequestsContaining(marker).Count > 0, "Claude Code to send the prompt to the API");
        await File.WriteAllTextAsync(release, "go");
        var session = await _driver.WaitForEndAsync(workspace, queued.Id);

        Assert.True(session.Status == SessionStatus.Succeeded, $"{session.Status}: {session.Error}");
        Assert.DoesNotContain(marker, commandLine, StringComparison.Ordinal);
        Assert.DoesNotContain("Add a greeting", commandLine, StringComparison.Ordinal);
        Assert.Contains($"--session-id\0{session.ClaudeSessionId}\0", commandLine, StringComparison.Ordinal);
        var first = host.Api.RequestsContaining(marker)[0];
        Assert.Contains("the-konduktor-system-prompt", first["system"]!.ToJsonString(), StringComparison.Ordinal);
        Assert.True(Guid.TryParse(session.ClaudeSessionId, out _), session.ClaudeSessionId);

        var branch = session.Branch!;
        Assert.Equal("hello\n", await remote.GitAsync("show", $"{branch}:greeting.txt"));
        Assert.Contains($"Konduktor-Session: {session.Id}", await remote.GitAsync("log", "-1", "--format=%B", branch), StringComparison.Ordinal);
        Assert.True(session.Outcome is { CostUsd: > 0, NumTurns: > 0 }, JsonSerializer.Serialize(session.Outcome));
        Assert.Equal(session.Outcome.ConversationCostUsd, session.Outcome.CostUsd);
        Assert.Equal(Math.Round(session.Outcome.CostUsd!.Value, 6), (await _driver.GetTaskAsync(workspace, task.Id)).CostUsd);

        var transcript = await host.Up.CliAsync("-w", workspace, "tasks", "logs", task.ShortId);
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(transcript.Output, "I added the greeting\\."));
        Assert.Contains("→ Bash: printf", transcript.Output, StringComparison.Ordinal);
        Assert.Contains("✓ success", transcript.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("system/", transcript.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_agent_writes_reads_and_edits_files_with_claude_codes_own_tools()
    {
        var (workspace, remote) = await _driver.CreateWorkspaceAsync();
        var task = await _driver.CreateTaskAsync(workspace, "Use the file tools", FakeAnthropic.Script(
            new { tool = "Write", input = new { file_path = "%cwd%/notes.md", content = "# Notes\nfirst draft\n" } },
            new { tool = "Read", input = new { file_path = "%cwd%/notes.md" } },
            new { tool = "Edit", input = new { file_path = "%cwd%/notes.md", old_string = "first draft", new_string = "final text" } },
            new { bash = "git add notes.md && git commit -qm 'Write the notes'" },
            new { text = "The notes are written." }));

        var session = await _driver.WaitForEndAsync(workspace, (await _driver.RunAsync(workspace, task)).Id);

        Assert.True(session.Status == SessionStatus.Succeeded, $"{session.Status}: {session.Error}");
        Assert.Equal("# Notes\nfinal text\n", await remote.GitAsync("show", $"{session.Branch}:notes.md"));
        var transcript = await host.Up.CliAsync("-w", workspace, "tasks", "logs", task.ShortId);
        Assert.Contains("→ Edit: ", transcript.Output, StringComparison.Ordinal);
        Assert.Contains("notes.md", transcript.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_native_konduktor_alone_on_a_machine_without_dotnet_registers_with_a_secret_and_runs_claude_which_uses_it_too()
    {
        Assert.True(KonduktorCli.NativeOrBuilt != KonduktorCli.Executable, "./test publishes the native konduktor and names it in KONDUKTOR_TEST_NATIVE");
        // Another machine: git, Node and Claude Code, no .NET; the one file in a folder of its own.
        var bin = Directory.CreateTempSubdirectory("konduktor-native-").FullName;
        var konduktor = Path.Combine(bin, "konduktor");
        File.Copy(KonduktorCli.NativeOrBuilt, konduktor);
        var tools = WithoutDotnet();
        Assert.False(File.Exists(Path.Combine(tools, "dotnet")));
        await using var up = await KonduktorUp.StartAsync(storage: azurite.ConnectionString, extraArguments: ["--no-runner"]);
        var added = await up.CliAsync("--json", "runners", "add", "laptop");
        var ticket = JsonSerializer.Deserialize<Konduktor.Core.Runners.RunnerTicket>(added.Output, SessionsHost.Json)!;
        var machine = new Dictionary<string, string>(RealClaude.Environment(host.Api)) { ["PATH"] = tools, ["DOTNET_ROOT"] = "" };

        await using var runner = await RunnerProcess.StartAsync(KonduktorUp.NewHome(), "laptop", extraArguments: ["--url", up.Url, "--registration-secret", ticket.Secret],
            agentCommand: RealClaude.Executable, environment: machine, executable: konduktor);
        var driver = new SessionDriver(up);
        var (workspace, remote) = await driver.CreateWorkspaceAsync();
        var task = await driver.CreateTaskAsync(workspace, "Work from the native runner", FakeAnthropic.Script(
            new { bash = "printf 'written by the agent through the native konduktor' | konduktor docs create --title 'Native notes' --file - && printf 'native\\n' > native.txt && git add native.txt && git commit -qm 'From the native runner'" },
            new { text = "Done." }));
        var session = await driver.WaitForEndAsync(workspace, (await driver.RunAsync(workspace, task)).Id);

        Assert.True(session.Status == SessionStatus.Succeeded, $"{session.Status}: {session.Error}\n{runner.Output}");
        Assert.Equal("laptop", session.RunnerName);
        Assert.Equal("native\n", await remote.GitAsync("show", $"{session.Branch}:native.txt"));
        Assert.Contains("written by the agent through the native konduktor", (await up.CliAsync("-w", workspace, "docs", "show", "native-notes")).Output, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(bin, "konduktor")) && Directory.GetFiles(bin).Length == 1, "the runner needed nothing beside its one file");
    }

    /// <summary>A PATH with every program of this one but dotnet (links in a folder of their own).</summary>
    private static string WithoutDotnet()
    {
        var tools = Directory.CreateTempSubdirectory("konduktor-tools-").FullName;
        foreach (var folder in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator).Where(Directory.Exists))
        {
            foreach (var program in Directory.EnumerateFiles(folder).Where(p => Path.GetFileName(p) != "dotnet"))
            {
                var link = Path.Combine(tools, Path.GetFileName(program));
                if (!File.Exists(link) && !Directory.Exists(link))
                {
                    File.CreateSymbolicLink(link, program);
                }
            }
        }

        return tools;
    }

    [Fact]
    public async Task A_usage_limit_on_a_subscription_ends_the_run_at_once_and_the_session_waits_for_quota_with_the_reset_in_the_log()
    {
        await using var up = await KonduktorUp.StartAsync(storage: azurite.ConnectionString, extraArguments: ["--no-runner"]);
        var driver = new SessionDriver(up);
        var subscription = new Dictionary<string, string>(RealClaude.Environment(host.Api)) { ["ANTHROPIC_API_KEY"] = "", ["CLAUDE_CODE_OAUTH_TOKEN"] = "sk-ant-oat01-fake-for-tests" };
        await using var runner = await RunnerProcess.StartAsync(up.Home, "subscriber", agentCommand: RealClaude.Executable, environment: subscription,
            userHome: Directory.CreateTempSubdirectory("konduktor-user-subscriber-").FullName);
        Assert.Contains("signed in with a subscription token", runner.Output, StringComparison.Ordinal);
        var (workspace, _) = await driver.CreateWorkspaceAsync();
        var reset = DateTimeOffset.UtcNow.AddHours(2);
        var task = await driver.CreateTaskAsync(workspace, "Hits the limit", FakeAnthropic.Script(new
        {
            status = 429, errorType = "rate_limit_error", message = "usage limit reached",
            headers = new Dictionary<string, string>
            {
                ["anthropic-ratelimit-unified-status"] = "rejected",
                ["anthropic-ratelimit-unified-reset"] = reset.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["anthropic-ratelimit-unified-representative-claim"] = "five_hour",
            },
        }));

        var queued = await driver.RunAsync(workspace, task);
        var session = await Eventually.WaitAsync(async () => await driver.GetSessionAsync(workspace, queued.Id) is { Status: not (SessionStatus.Queued or SessionStatus.Claimed or SessionStatus.Running) } s ? s : null, "the run to end");

        Assert.Equal(SessionStatus.WaitingForQuota, session.Status);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(reset.ToUnixTimeSeconds()), session.QuotaResetsAt);
        Assert.Equal(429, session.Outcome?.ApiErrorStatus);
        Assert.Equal("subscriber", session.RunnerName);
        var logs = await driver.LogsAsync(workspace, session.Id);
        var limit = Assert.Single(logs.Select(e => ClaudeEvent.Parse(e.Text)).OfType<ClaudeEvent.RateLimit>());
        Assert.Equal(new ClaudeEvent.RateLimit("rejected", "five_hour", DateTimeOffset.FromUnixTimeSeconds(reset.ToUnixTimeSeconds())), limit);
        Assert.DoesNotContain(logs, e => e.Text.Contains("\"subtype\":\"api_retry\"", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Budgets_refuse_new_sessions_with_the_figures_and_the_reset_and_usage_shows_the_spend_per_day_and_task()
    {
        var (workspace, _) = await _driver.CreateWorkspaceAsync();
        var task = await _driver.CreateTaskAsync(workspace, "Spends money", FakeAnthropic.Script(new { text = "Spent.", usage = new { input = 40_000, output = 8_000 } }));
        var first = await _driver.WaitForEndAsync(workspace, (await _driver.RunAsync(workspace, task)).Id);
        Assert.True(first.Status == SessionStatus.Succeeded, $"{first.Status}: {first.Error}");
        var spent = (await _driver.GetTaskAsync(workspace, task.Id)).CostUsd;
        Assert.True(spent > 0.02m, $"the run cost {spent}");
        var figure = (decimal d) => d.ToString("0.00", System.Globalization.CultureInfo.InvariantCulture);

        // The task's own budget, below what it spent: its next session is refused, naming both figures.
        var budget = Math.Round(spent / 2, 2);
        Assert.Equal(0, (await host.Up.CliAsync("-w", workspace, "tasks", "update", task.ShortId, "--budget", figure(budget))).ExitCode);
        var resume = await host.Up.CliAsync("-w", workspace, "tasks", "resume", task.ShortId);
        Assert.Equal(1, resume.ExitCode);
        Assert.Contains($"has spent ${figure(spent)} of its ${figure(budget)} budget", resume.Error, StringComparison.Ordinal);

        // The workspace's daily budget, below today's spend: any new session is refused, with when the day resets.
        Assert.Equal(0, (await host.Up.CliAsync("-w", workspace, "config", "set", "--daily-budget", figure(budget))).ExitCode);
        var other = await _driver.CreateTaskAsync(workspace, "Would spend more", FakeAnthropic.Script(new { text = "No." }));
        var refused = await host.Up.CliAsync("-w", workspace, "tasks", "run", other.ShortId);
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains($"has spent ${figure(spent)} of its ${figure(budget)} daily budget today; it resets at 00:00 UTC", refused.Error, StringComparison.Ordinal);
        Assert.Null((await _driver.GetTaskAsync(workspace, other.Id)).LatestSession);

        var usage = await host.Up.CliAsync("-w", workspace, "--json", "usage", "--days", "7");
        Assert.True(usage.ExitCode == 0, usage.ToString());
        var report = JsonSerializer.Deserialize<Konduktor.Core.Quota.UsageReport>(usage.Output, SessionsHost.Json)!;
        Assert.Equal(7, report.Days.Count);
        Assert.Equal(spent, Math.Round(report.Days[^1].CostUsd, 6));
        Assert.Equal(1, report.Days[^1].Runs);
        var spentOnTask = Assert.Single(report.Tasks);
        Assert.Equal("Spends money", spentOnTask.Title);
        Assert.Equal(budget, report.DailyBudgetUsd);
        Assert.Contains("of its $" + figure(budget) + " daily budget", (await host.Up.CliAsync("-w", workspace, "usage")).Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_resume_on_the_same_runner_continues_the_conversation_and_each_session_costs_only_its_own_run()
    {
        var (workspace, _) = await _driver.CreateWorkspaceAsync();
        var firstWords = "first-run-" + Guid.NewGuid().ToString("N")[..8];
        var task = await _driver.CreateTaskAsync(workspace, "Two sittings", FakeAnthropic.Script(new { text = firstWords, usage = new { input = 4000, output = 800 } }));
        var first = await _driver.WaitForEndAsync(workspace, (await _driver.RunAsync(workspace, task)).Id);
        Assert.True(first.Status == SessionStatus.Succeeded, $"{first.Status}: {first.Error}");

        var second = await ResumeAsync(host.Up, workspace, task, FakeAnthropic.Script(new { text = "second sitting", usage = new { input = 1000, output = 100 } }));

        Assert.True(second.Status == SessionStatus.Succeeded, $"{second.Status}: {second.Error}");
        Assert.Equal(first.ClaudeSessionId, second.ClaudeSessionId);
        Assert.Contains(host.Api.RequestsContaining(firstWords), r => r["messages"]!.ToJsonString().Contains("second sitting", StringComparison.Ordinal));
        var logs = string.Join('\n', (await _driver.LogsAsync(workspace, second.Id)).Select(e => e.Text));
        Assert.DoesNotContain("restored the transcript", logs, StringComparison.Ordinal);

        // Claude Code reports the conversation's total; the session keeps its own run's cost, and the task adds runs.
        Assert.True(second.Outcome!.CostUsd > 0 && second.Outcome.CostUsd < first.Outcome!.CostUsd, $"{second.Outcome.CostUsd} vs {first.Outcome!.CostUsd}");
        var bothRuns = Math.Round(first.Outcome.CostUsd!.Value + second.Outcome.CostUsd!.Value, 6);
        Assert.Equal(bothRuns, Math.Round(second.Outcome.ConversationCostUsd!.Value, 6));
        Assert.Equal(bothRuns, (await _driver.GetTaskAsync(workspace, task.Id)).CostUsd);
    }

    [Fact]
    public async Task A_resume_on_another_runner_with_its_own_home_and_work_dir_restores_the_conversation_from_storage()
    {
        var prefix = AzuriteFixture.NewPrefix();
        await using var up = await KonduktorUp.StartAsync(storage: azurite.ConnectionString, prefix: prefix, extraArguments: ["--no-runner"]);
        var driver = new SessionDriver(up);
        var (workspace, remote) = await driver.CreateWorkspaceAsync();
        var firstWords = "machine-one-" + Guid.NewGuid().ToString("N")[..8];
        var task = await driver.CreateTaskAsync(workspace, "Moves between machines", FakeAnthropic.Script(
            new { bash = "printf 'one\\n' > one.txt && git add one.txt && git commit -qm 'First half'" }, new { text = firstWords }));
        Session first;
        await using (var one = await StartRealRunnerAsync(up, "one"))
        {
            first = await driver.WaitForEndAsync(workspace, (await driver.RunAsync(workspace, task)).Id);
        }

        Assert.True(first.Status == SessionStatus.Succeeded, $"{first.Status}: {first.Error}");
        var twoHome = Directory.CreateTempSubdirectory("konduktor-user-two-").FullName;
        await using var two = await StartRealRunnerAsync(up, "two", twoHome);
        var second = await ResumeAsync(up, workspace, task, FakeAnthropic.Script(
            new { bash = "printf 'two\\n' > two.txt && git add two.txt && git commit -qm 'Second half'" }, new { text = "finished on two" }));

        Assert.True(second.Status == SessionStatus.Succeeded, $"{second.Status}: {second.Error}\n{two.Output}");
        Assert.Equal("two", second.RunnerName);
        Assert.Equal(first.ClaudeSessionId, second.ClaudeSessionId);
        var logs = string.Join('\n', (await driver.LogsAsync(workspace, second.Id)).Select(e => e.Text));
        Assert.Contains($"restored the transcript of conversation {first.ClaudeSessionId} from storage", logs, StringComparison.Ordinal);
        Assert.Contains(host.Api.RequestsContaining(firstWords), r => r["messages"]!.ToJsonString().Contains("Second half", StringComparison.Ordinal));
        Assert.Equal("one\n", await remote.GitAsync("show", $"{first.Branch}:one.txt"));
        Assert.Equal("two\n", await remote.GitAsync("show", $"{first.Branch}:two.txt"));

        // The conversation is kept nowhere any more: the next resume starts afresh on the branch, told what was done.
        await using var three = await StartRealRunnerAsync(up, "three", Directory.CreateTempSubdirectory("konduktor-user-three-").FullName);
        await two.StopAsync();
        var blobs = new BlobServiceClient(azurite.ConnectionString).GetBlobContainerClient(prefix + "transcripts");
        await foreach (var blob in blobs.GetBlobsAsync())
        {
            await blobs.DeleteBlobAsync(blob.Name);
        }

        var third = await ResumeAsync(up, workspace, task, "Please add a third file.");

        Assert.True(third.Status == SessionStatus.Succeeded, $"{third.Status}: {third.Error}\n{three.Output}");
        Assert.NotEqual(first.ClaudeSessionId, third.ClaudeSessionId);
        logs = string.Join('\n', (await driver.LogsAsync(workspace, third.Id)).Select(e => e.Text));
        Assert.Contains("cannot be continued", logs, StringComparison.Ordinal);
        var fresh = Assert.Single(host.Api.RequestsContaining("Please add a third file."), r => r["messages"]!.AsArray().Count <= 2);
        var prompt = fresh["messages"]!.ToJsonString();
        Assert.Contains("their conversation cannot be continued", prompt, StringComparison.Ordinal);
        Assert.Contains("finished on two", prompt, StringComparison.Ordinal);
        Assert.Equal(third.ClaudeSessionId, (await driver.GetTaskAsync(workspace, task.Id)).ClaudeSessionId);
    }

    [Fact]
    public async Task Stopping_a_real_claude_session_ends_the_commands_it_runs_and_a_resume_picks_the_conversation_up()
    {
        var (workspace, _) = await _driver.CreateWorkspaceAsync();
        var sleep = MarkedProcesses.NewSleep();
        var task = await _driver.CreateTaskAsync(workspace, "Runs long", FakeAnthropic.Script(new { bash = $"echo waiting && sleep {sleep}" }));
        var session = await _driver.RunAsync(workspace, task);
        await Eventually.WaitAsync(() => MarkedProcesses.WithArgument(sleep).Count == 1, "the agent's command to start");
        var toolPid = MarkedProcesses.WithArgument(sleep)[0];

        var stop = await host.Up.CliAsync("-w", workspace, "tasks", "stop", task.ShortId);
        Assert.True(stop.ExitCode == 0, stop.ToString());
        var stopped = await _driver.WaitForEndAsync(workspace, session.Id);

        Assert.Equal(SessionStatus.Stopped, stopped.Status);
        await Eventually.WaitAsync(() => !ProcessSignals.IsAlive(toolPid), "the command the agent ran to end with it");
        var resumed = await ResumeAsync(host.Up, workspace, task, FakeAnthropic.Script(new { text = "picked up after the stop" }));
        Assert.True(resumed.Status == SessionStatus.Succeeded, $"{resumed.Status}: {resumed.Error}");
        Assert.Equal(stopped.ClaudeSessionId, resumed.ClaudeSessionId);
    }

    [Fact]
    public async Task A_tool_call_the_permission_mode_refuses_leaves_the_session_needing_attention_with_the_refused_command()
    {
        var (workspace, _) = await _driver.CreateWorkspaceAsync();
        var configured = await host.Up.CliAsync("-w", workspace, "config", "set", "--permission-mode", "default");
        Assert.True(configured.ExitCode == 0, configured.ToString());
        var task = await _driver.CreateTaskAsync(workspace, "Push it", FakeAnthropic.Script(
            new { bash = "git commit --allow-empty -qm 'Nothing' && git push origin HEAD" }, new { text = "I could not push." }));

        var session = await _driver.WaitForEndAsync(workspace, (await _driver.RunAsync(workspace, task)).Id);

        Assert.Equal(SessionStatus.NeedsAttention, session.Status);
        var denial = Assert.Single(session.Outcome!.PermissionDenials!);
        Assert.Equal("Bash", denial.Tool);
        Assert.Contains("git push origin HEAD", denial.Input, StringComparison.Ordinal);
        Assert.Contains("refused 1 tool call under permission mode default: Bash (git commit", session.Error, StringComparison.Ordinal);
        Assert.Equal("needs-attention", (await _driver.GetTaskAsync(workspace, task.Id)).LatestSession?.Status);
        var shown = await host.Up.CliAsync("-w", workspace, "sessions", "show", session.ShortId);
        Assert.Contains("needs attention", shown.Output, StringComparison.Ordinal);
        var logs = await host.Up.CliAsync("-w", workspace, "tasks", "logs", task.ShortId);
        Assert.Contains("⚠ permission denied: Bash", logs.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_api_failure_fails_the_session_with_claude_codes_own_reason()
    {
        var (workspace, _) = await _driver.CreateWorkspaceAsync();
        var task = await _driver.CreateTaskAsync(workspace, "Meets a wall", FakeAnthropic.Script(
            new { status = 400, errorType = "invalid_request_error", message = "prompt-is-unacceptable-for-this-test" }));

        var session = await _driver.WaitForEndAsync(workspace, (await _driver.RunAsync(workspace, task)).Id);

        Assert.Equal(SessionStatus.Failed, session.Status);
        Assert.Contains("prompt-is-unacceptable-for-this-test", session.Error, StringComparison.Ordinal);
        Assert.Contains("API status 400", session.Error, StringComparison.Ordinal);
        var shown = await host.Up.CliAsync("-w", workspace, "sessions", "show", session.ShortId);
        Assert.Contains("prompt-is-unacceptable-for-this-test", shown.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_scheduled_agent_that_reaches_its_turn_or_budget_limit_fails_with_claude_codes_error()
    {
        var (workspace, _) = await _driver.CreateWorkspaceAsync();
        var script = FakeAnthropic.Script(new { bash = "echo one", usage = new { input = 200_000, output = 20_000 } }, new { bash = "echo two" }, new { text = "never reached" });
        var turns = await host.Up.CliWithInputAsync(script, "-w", workspace, "agents", "create", "--name", "short", "--prompt-file", "-", "--every", "1d", "--max-turns", "1");
        Assert.True(turns.ExitCode == 0, turns.ToString());
        var budget = await host.Up.CliWithInputAsync(script, "-w", workspace, "agents", "create", "--name", "thrifty", "--prompt-file", "-", "--every", "1d", "--max-budget", "0.01");
        Assert.True(budget.ExitCode == 0, budget.ToString());

        var shortRun = await RunAgentAsync(workspace, "short");
        var thriftyRun = await RunAgentAsync(workspace, "thrifty");

        Assert.Equal(SessionStatus.Failed, shortRun.Status);
        Assert.Equal("error_max_turns", shortRun.Outcome?.Subtype);
        Assert.Contains("error_max_turns", shortRun.Error, StringComparison.Ordinal);
        Assert.Contains(shortRun.Outcome!.Errors!, e => e.Contains("turns", StringComparison.OrdinalIgnoreCase));
        Assert.Equal(SessionStatus.Failed, thriftyRun.Status);
        Assert.Equal("error_max_budget_usd", thriftyRun.Outcome?.Subtype);
        Assert.Contains(thriftyRun.Outcome!.Errors!, e => e.Contains("budget", StringComparison.OrdinalIgnoreCase));
        Assert.True(thriftyRun.Outcome.CostUsd > 0.01m, $"{thriftyRun.Outcome.CostUsd}");
    }

    [Fact]
    public async Task Claude_code_refuses_to_skip_permissions_as_root_unless_it_is_told_it_runs_in_a_sandbox()
    {
        var directory = Directory.CreateTempSubdirectory("konduktor-root-check-").FullName;
        var environment = RealClaude.Environment(host.Api);
        environment["CLAUDE_CONFIG_DIR"] = Path.Combine(directory, ".claude");
        var without = await RunClaudeAsync(directory, environment);
        environment["IS_SANDBOX"] = "1";
        var with = await RunClaudeAsync(directory, environment);

        if (Environment.IsPrivilegedProcess)
        {
            Assert.Equal(1, without.ExitCode);
            Assert.Contains("cannot be used with root/sudo privileges", without.Output, StringComparison.Ordinal);
        }
        else
        {
            Assert.Equal(0, without.ExitCode);
        }

        Assert.True(with.ExitCode == 0, with.Output);
    }

    [Fact]
    public async Task The_runner_says_when_claude_code_is_not_signed_in_and_a_run_says_no_runner_can_take_it()
    {
        await using var up = await KonduktorUp.StartAsync(storage: azurite.ConnectionString, extraArguments: ["--no-runner"]);
        var driver = new SessionDriver(up);
        var environment = new Dictionary<string, string>(RealClaude.Environment(host.Api)) { ["ANTHROPIC_API_KEY"] = "" };
        await using var runner = await RunnerProcess.StartAsync(up.Home, "signed-out", agentCommand: RealClaude.Executable, environment: environment,
            userHome: Directory.CreateTempSubdirectory("konduktor-user-signed-out-").FullName);
        Assert.Contains("Agent not ready: Claude Code is not signed in: run `claude auth login`", runner.Output, StringComparison.Ordinal);
        var (workspace, _) = await driver.CreateWorkspaceAsync();
        var task = await driver.CreateTaskAsync(workspace, "Waits", "Nothing to do.");

        var run = await up.CliAsync("-w", workspace, "tasks", "run", task.ShortId);

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("queued", run.Output, StringComparison.Ordinal);
        Assert.Contains("no runner can run it now, so it waits in the queue: runner signed-out: Claude Code is not signed in", run.Error, StringComparison.Ordinal);
        var runners = await up.CliAsync("runners", "list");
        Assert.Contains("not signed in", runners.Output, StringComparison.Ordinal);
    }

    private static async Task<Session> ResumeAsync(KonduktorUp up, string workspace, TaskItem task, string message)
    {
        var resumed = await up.CliAsync("-w", workspace, "--json", "tasks", "resume", task.ShortId, "--message", message);
        Assert.True(resumed.ExitCode == 0, resumed.ToString());
        return await new SessionDriver(up).WaitForEndAsync(workspace, JsonSerializer.Deserialize<Session>(resumed.Output, SessionsHost.Json)!.Id);
    }

    private async Task<Session> RunAgentAsync(string workspace, string agent)
    {
        var run = await host.Up.CliAsync("-w", workspace, "--json", "agents", "run-now", agent);
        Assert.True(run.ExitCode == 0, run.ToString());
        using var document = JsonDocument.Parse(run.Output);
        var sessionId = document.RootElement.GetProperty("sessionId").GetGuid();
        return await _driver.WaitForEndAsync(workspace, sessionId);
    }

    private Task<RunnerProcess> StartRealRunnerAsync(KonduktorUp up, string name, string? userHome = null) =>
        RunnerProcess.StartAsync(up.Home, name, workDirectory: Directory.CreateTempSubdirectory($"konduktor-runner-{name}-").FullName,
            agentCommand: RealClaude.Executable, environment: RealClaude.Environment(host.Api),
            userHome: userHome ?? Directory.CreateTempSubdirectory($"konduktor-user-{name}-").FullName);

    private static async Task<CliResult> RunClaudeAsync(string directory, IReadOnlyDictionary<string, string> environment)
    {
        var start = new System.Diagnostics.ProcessStartInfo(RealClaude.Executable)
        {
            WorkingDirectory = directory,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { "-p", "--output-format", "stream-json", "--verbose", "--permission-mode", "bypassPermissions" })
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment.Remove("IS_SANDBOX");
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        using var process = System.Diagnostics.Process.Start(start)!;
        await process.StandardInput.WriteAsync(FakeAnthropic.Script(new { text = "hello" }));
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        return new CliResult(process.ExitCode, await output + await error, "");
    }
}

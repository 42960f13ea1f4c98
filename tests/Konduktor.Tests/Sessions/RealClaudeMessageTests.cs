using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Konduktor.Core.Sessions;
using Konduktor.Runner.Worker;
using Konduktor.Tests.Infrastructure;

namespace Konduktor.Tests.Sessions;

/// <summary>
/// Talking to a running agent, as the real Claude Code (stream-json on stdin) takes it: what a person says reaches the
/// very next request of the same conversation, <c>--now</c> ends the turn in flight, and nothing said is lost when
/// the session waits for a runner or its runner is cut off.
/// </summary>
public sealed class RealClaudeMessageTests(RealClaudeHost host, AzuriteFixture azurite) : IClassFixture<RealClaudeHost>
{
    private readonly SessionDriver _driver = new(host.Up);

    [Fact]
    public async Task A_message_said_while_a_tool_runs_is_in_the_very_next_request_of_the_same_conversation()
    {
        var (workspace, _) = await _driver.CreateWorkspaceAsync();
        var (started, release) = (SessionDriver.Signal("started"), SessionDriver.Signal("release"));
        var marker = "tool-turn-" + Guid.NewGuid().ToString("N")[..8];
        var task = await _driver.CreateTaskAsync(workspace, "Works with a tool", marker + "\n" + FakeAnthropic.Script(
            new { bash = $"touch {started}; while [ ! -f {release} ]; do sleep 0.1; done; echo released" }, new { text = "all done" }));
        var session = await _driver.RunAsync(workspace, task);
        await Eventually.WaitAsync(() => File.Exists(started), "the agent's command to start");
        var message = "Also-update-the-changelog-" + Guid.NewGuid().ToString("N")[..6];

        var say = await host.Up.CliAsync("-w", workspace, "tasks", "say", task.ShortId, message);
        Assert.True(say.ExitCode == 0, say.ToString());
        await Eventually.WaitAsync(async () => (await _driver.MessagesAsync(workspace, task.ShortId)).SingleOrDefault(m => m.DeliveredAt is not null), "the runner to give the message to claude");
        await File.WriteAllTextAsync(release, "go", TestContext.Current.CancellationToken);
        var ended = await _driver.WaitForEndAsync(workspace, session.Id);

        Assert.True(ended.Status == SessionStatus.Succeeded, $"{ended.Status}: {ended.Error}");
        var requests = host.Api.RequestsContaining(marker);
        Assert.DoesNotContain(message, requests[0]["messages"]!.ToJsonString(), StringComparison.Ordinal);
        Assert.Contains(message, requests[1]["messages"]!.ToJsonString(), StringComparison.Ordinal);
        Assert.Contains("released", requests[1]["messages"]!.ToJsonString(), StringComparison.Ordinal);
        Assert.Equal(ended.ClaudeSessionId, (await _driver.GetTaskAsync(workspace, task.Id)).ClaudeSessionId);
    }

    [Fact]
    public async Task Now_ends_the_turn_in_flight_and_the_next_request_carries_the_message_after_the_interruption()
    {
        var (workspace, _) = await _driver.CreateWorkspaceAsync();
        var thinking = SessionDriver.Signal("thinking");
        var marker = "interrupted-" + Guid.NewGuid().ToString("N")[..8];
        var task = await _driver.CreateTaskAsync(workspace, "Thinks for ever", marker + "\n" + FakeAnthropic.Script(new { waitFor = thinking, text = "finally" }));
        var session = await _driver.RunAsync(workspace, task);
        await Eventually.WaitAsync(() => host.Api.RequestsContaining(marker).Count == 1, "claude to ask the model");
        var message = "Stop-and-answer-this-" + Guid.NewGuid().ToString("N")[..6];

        var say = await host.Up.CliAsync("-w", workspace, "tasks", "say", task.ShortId, "--now", message);
        Assert.True(say.ExitCode == 0, say.ToString());
        var next = await Eventually.WaitAsync(() => Task.FromResult(host.Api.RequestsContaining(message) is [var found, ..] ? found : null), "the message to reach the model after the interruption", TimeSpan.FromSeconds(30));
        await File.WriteAllTextAsync(thinking, "go", TestContext.Current.CancellationToken);
        var ended = await _driver.WaitForEndAsync(workspace, session.Id);

        Assert.True(ended.Status == SessionStatus.Succeeded, $"{ended.Status}: {ended.Error}");
        var said = next["messages"]!.ToJsonString();
        Assert.True(said.IndexOf("[Request interrupted by user]", StringComparison.Ordinal) is var interrupted and >= 0 && interrupted < said.IndexOf(message, StringComparison.Ordinal), said);
        Assert.Equal(2, host.Api.RequestsContaining(marker).Count);
    }

    [Fact]
    public async Task A_message_said_while_the_session_is_queued_is_in_its_first_request()
    {
        await using var up = await KonduktorUp.StartAsync(storage: azurite.ConnectionString, extraArguments: ["--no-runner"]);
        var driver = new SessionDriver(up);
        var (workspace, _) = await driver.CreateWorkspaceAsync();
        var marker = "queued-" + Guid.NewGuid().ToString("N")[..8];
        var task = await driver.CreateTaskAsync(workspace, "Waits for a runner", marker + "\n" + FakeAnthropic.Script(new { text = "ok" }));
        var session = await driver.RunAsync(workspace, task);
        var message = "Before-you-start-" + Guid.NewGuid().ToString("N")[..6];
        Assert.Equal(0, (await up.CliAsync("-w", workspace, "tasks", "say", task.ShortId, message)).ExitCode);

        await using var runner = await StartRealRunnerAsync(up, "late");
        var ended = await driver.WaitForEndAsync(workspace, session.Id, TimeSpan.FromSeconds(60));

        Assert.True(ended.Status == SessionStatus.Succeeded, $"{ended.Status}: {ended.Error}");
        var first = host.Api.RequestsContaining(marker)[0]["messages"]!.ToJsonString();
        Assert.Contains(message, first, StringComparison.Ordinal);
        Assert.Single(host.Api.RequestsContaining(marker));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_runner_cut_off_or_killed_mid_session_leaves_the_message_said_meanwhile_and_the_earlier_turns_to_the_resume_elsewhere(bool killed)
    {
        var prefix = AzuriteFixture.NewPrefix();
        await using var up = await KonduktorUp.StartAsync(storage: azurite.ConnectionString, prefix: prefix, extraArguments: ["--no-runner"], environment: new Dictionary<string, string>
        {
            ["Konduktor__Sessions__OrphanAfterSeconds"] = "12",
            ["Konduktor__Timers__SessionJanitor"] = "*/1 * * * * *",
        });
        await using var network = TcpRelay.Start(up.Url);
        var driver = new SessionDriver(up);
        var (workspace, _) = await driver.CreateWorkspaceAsync();
        var earlier = "earlier-turn-" + Guid.NewGuid().ToString("N")[..8];
        var never = SessionDriver.Signal("never");
        var task = await driver.CreateTaskAsync(workspace, "Outlives its network", FakeAnthropic.Script(new { bash = $"echo {earlier}" }, new { waitFor = never, text = "never said" }));
        Session first;
        await using (var laptop = await StartRealRunnerAsync(up, "laptop", extraArguments: ["--url", network.Url]))
        {
            first = await driver.RunAsync(workspace, task);
            await Eventually.WaitAsync(async () => (await driver.LogsAsync(workspace, first.Id)).Any(e => e.Text.StartsWith(TranscriptShipping.FirstKept, StringComparison.Ordinal)) ? "" : null,
                "the transcript to reach Konduktor while the agent works", TimeSpan.FromSeconds(60));
            await Eventually.WaitAsync(() => host.Api.RequestsContaining(earlier).Count >= 1, "the earlier turn's result to reach the model");
            await Eventually.WaitAsync(async () => (await TranscriptsAsync(prefix)).Contains(earlier, StringComparison.Ordinal) ? "" : null, "the earlier turn to be in the kept transcript", TimeSpan.FromSeconds(30));

            if (killed)
            {
                laptop.Crash();
            }
            else
            {
                network.Cut();
            }

            var message = "Said-while-cut-off-" + Guid.NewGuid().ToString("N")[..6];
            Assert.Equal(0, (await up.CliAsync("-w", workspace, "tasks", "say", task.ShortId, message)).ExitCode);
            Assert.Equal(SessionStatus.Orphaned, (await driver.WaitForEndAsync(workspace, first.Id, TimeSpan.FromSeconds(60))).Status);

            await using var desk = await StartRealRunnerAsync(up, "desk");
            var resumed = await up.CliAsync("-w", workspace, "--json", "tasks", "resume", task.ShortId, "--message", FakeAnthropic.Script(new { text = "picked up on the desk" }));
            Assert.True(resumed.ExitCode == 0, resumed.ToString());
            var second = await driver.WaitForEndAsync(workspace, JsonSerializer.Deserialize<Session>(resumed.Output, SessionsHost.Json)!.Id, TimeSpan.FromSeconds(60));

            Assert.True(second.Status == SessionStatus.Succeeded, $"{second.Status} on {second.RunnerName}: {second.Error}\n{desk.Output}");
            Assert.Equal("desk", second.RunnerName);
            Assert.Equal(first.ClaudeSessionId ?? (await driver.GetSessionAsync(workspace, first.Id)).ClaudeSessionId, second.ClaudeSessionId);
            var request = Assert.Single(host.Api.RequestsContaining(message))["messages"]!.ToJsonString();
            Assert.Contains(earlier, request, StringComparison.Ordinal);
            Assert.Contains("picked up on the desk", request, StringComparison.Ordinal);
            var delivered = Assert.Single(await driver.MessagesAsync(workspace, task.ShortId));
            Assert.Equal(second.Id, delivered.DeliveredInSessionId);
        }
    }

    [Fact]
    public async Task A_stop_ends_a_real_claude_session_within_five_seconds_even_when_its_command_ignores_sigterm()
    {
        var (workspace, _) = await _driver.CreateWorkspaceAsync();
        var started = SessionDriver.Signal("started");
        var task = await _driver.CreateTaskAsync(workspace, "Stubborn command", FakeAnthropic.Script(new { bash = $"trap '' TERM; touch {started}; while :; do sleep 1; done" }));
        var session = await _driver.RunAsync(workspace, task);
        await Eventually.WaitAsync(() => File.Exists(started), "the agent's command to start");

        var stop = await host.Up.CliAsync("-w", workspace, "tasks", "stop", task.ShortId);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        Assert.True(stop.ExitCode == 0, stop.ToString());
        var ended = await _driver.WaitForEndAsync(workspace, session.Id, TimeSpan.FromSeconds(30));
        var took = clock.Elapsed;

        Assert.Equal(SessionStatus.Stopped, ended.Status);
        Assert.True(took < TimeSpan.FromSeconds(5), $"the stop took {took.TotalSeconds:0.0} s");
    }

    /// <summary>The conversations as Konduktor keeps them (what a runner elsewhere restores).</summary>
    private async Task<string> TranscriptsAsync(string prefix)
    {
        var blobs = new Azure.Storage.Blobs.BlobServiceClient(azurite.ConnectionString).GetBlobContainerClient(prefix + "transcripts");
        if (!await blobs.ExistsAsync())
        {
            return "";
        }

        var text = new System.Text.StringBuilder();
        await foreach (var blob in blobs.GetBlobsAsync())
        {
            text.Append((await blobs.GetBlobClient(blob.Name).DownloadContentAsync()).Value.Content.ToString());
        }

        return text.ToString();
    }

    private Task<RunnerProcess> StartRealRunnerAsync(KonduktorUp up, string name, IEnumerable<string>? extraArguments = null) =>
        RunnerProcess.StartAsync(up.Home, name, workDirectory: Directory.CreateTempSubdirectory($"konduktor-runner-{name}-").FullName,
            agentCommand: RealClaude.Executable, environment: RealClaude.Environment(host.Api), extraArguments: extraArguments,
            userHome: Directory.CreateTempSubdirectory($"konduktor-user-{name}-").FullName);
}

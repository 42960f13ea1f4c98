using Konduktor.Runner.Processes;
using System.Net;
using System.Net.Sockets;
using Azure.Storage.Queues;
using Konduktor.LocalHost;
using Konduktor.LocalHost.Bindings;
using Konduktor.Core.Sessions;
using Konduktor.Tests.Infrastructure;

namespace Konduktor.Tests.Sessions;

/// <summary>Runners under duress: duplicate deliveries, storage going away, the API host restarting mid-stream.</summary>
public sealed class RunnerResilienceTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task Two_runners_and_duplicated_queue_messages_run_each_session_exactly_once()
    {
        var prefix = AzuriteFixture.NewPrefix();
        await using var up = await KonduktorUp.StartAsync(storage: azurite.ConnectionString, prefix: prefix);
        await using var second = await RunnerProcess.StartAsync(up.Home, "second");
        var driver = new SessionDriver(up);
        var (workspace, _) = await driver.CreateWorkspaceAsync();
        var queue = new QueueClient(azurite.ConnectionString, prefix + SessionJobs.Name);

        var runs = new List<(Session Session, string Counter)>();
        for (var i = 0; i < 6; i++)
        {
            var counter = SessionDriver.Signal("runs");
            var task = await driver.CreateTaskAsync(workspace, $"Count me {i}", StandInAgent.Script(new { append = counter }));
            var session = await driver.RunAsync(workspace, task);
            await queue.SendMessageAsync(new SessionJobMessage(session.WorkspaceId, session.Id).ToJson());
            runs.Add((session, counter));
        }

        try
        {
            foreach (var (session, counter) in runs)
            {
                Assert.Equal(SessionStatus.Succeeded, (await driver.WaitForEndAsync(workspace, session.Id)).Status);
            }
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"{e.Message}\n--- up:\n{up.Output}\n--- second runner:\n{second.Output}", e);
        }

        await Eventually.WaitAsync(async () => (await queue.GetPropertiesAsync()).Value.ApproximateMessagesCount == 0 ? "" : null, "every message to be taken and deleted");
        Assert.All(runs, run => Assert.Single(File.ReadAllLines(run.Counter)));
    }

    [Fact]
    public async Task With_storage_unreachable_mid_session_the_runner_spools_and_catches_up_with_nothing_lost_or_duplicated()
    {
        var script = await Azurite.EnsureInstalledAsync(Path.Combine(Path.GetTempPath(), "konduktor-test-tools"), _ => { }, CancellationToken.None);
        var data = Directory.CreateTempSubdirectory("konduktor-outage-").FullName;
        var log = Path.Combine(data, "azurite.log");
        var storage = await Azurite.StartAsync(script, Path.Combine(data, "azurite"), log, CancellationToken.None);
        var ports = storage.Ports;
        try
        {
            await using var up = await KonduktorUp.StartAsync(storage: storage.ConnectionString);
            var driver = new SessionDriver(up);
            var (workspace, _) = await driver.CreateWorkspaceAsync();
            var half = SessionDriver.Signal("half");
            var go = SessionDriver.Signal("go");
            var task = await driver.CreateTaskAsync(workspace, "Talk through an outage", StandInAgent.Script(
                new { flood = 1500 }, new { touch = half }, new { waitFor = go }, new { flood = 1500 }));
            var session = await driver.RunAsync(workspace, task);
            await Eventually.WaitAsync(() => File.Exists(half), "the agent's first half");

            await storage.DisposeAsync();
            await File.WriteAllTextAsync(go, "go");
            await Eventually.WaitAsync(() => up.Output.Contains("not shipped yet", StringComparison.Ordinal), "the runner to spool while storage is away");
            storage = await Azurite.StartAsync(script, Path.Combine(data, "azurite"), log, CancellationToken.None, ports, storage.AccountKey);

            var ended = await driver.WaitForEndAsync(workspace, session.Id, TimeSpan.FromSeconds(120));
            Assert.True(ended.Status == SessionStatus.Succeeded, $"{ended.Status}: {ended.Error}");
            await AssertCompleteAsync(driver, workspace, ended, floods: 2, perFlood: 1500);
        }
        finally
        {
            await storage.DisposeAsync();
        }
    }

    [Fact]
    public async Task With_the_api_host_restarted_mid_stream_nothing_is_lost_or_duplicated()
    {
        var prefix = AzuriteFixture.NewPrefix();
        var port = KonduktorUp.FreePort();
        var up = await KonduktorUp.StartAsync(storage: azurite.ConnectionString, prefix: prefix, extraArguments: ["--no-runner"], port: port);
        try
        {
            await using var runner = await RunnerProcess.StartAsync(up.Home, "steady");
            var driver = new SessionDriver(up);
            var (workspace, _) = await driver.CreateWorkspaceAsync();
            var half = SessionDriver.Signal("half");
            var go = SessionDriver.Signal("go");
            var task = await driver.CreateTaskAsync(workspace, "Talk through a restart", StandInAgent.Script(
                new { flood = 1500 }, new { touch = half }, new { waitFor = go }, new { flood = 1500 }));
            var session = await driver.RunAsync(workspace, task);
            await Eventually.WaitAsync(() => File.Exists(half), "the agent's first half");

            Assert.Equal(0, await up.StopAsync());
            await File.WriteAllTextAsync(go, "go");
            await Eventually.WaitAsync(() => runner.Output.Contains("not shipped yet", StringComparison.Ordinal), "the runner to spool while the host is away");
            await up.DisposeAsync();
            up = await KonduktorUp.StartAsync(home: up.Home, storage: azurite.ConnectionString, prefix: prefix, extraArguments: ["--no-runner"], port: port);
            driver = new SessionDriver(up);

            var ended = await driver.WaitForEndAsync(workspace, session.Id, TimeSpan.FromSeconds(120));
            Assert.True(ended.Status == SessionStatus.Succeeded, $"{ended.Status}: {ended.Error}");
            await AssertCompleteAsync(driver, workspace, ended, floods: 2, perFlood: 1500);
        }
        finally
        {
            await up.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_runner_stopped_with_sigterm_kills_its_agents_reports_their_sessions_and_exits_cleanly()
    {
        await using var up = await KonduktorUp.StartAsync(storage: azurite.ConnectionString, extraArguments: ["--no-runner"]);
        var runner = await RunnerProcess.StartAsync(up.Home, "leaving");
        var driver = new SessionDriver(up);
        var (workspace, _) = await driver.CreateWorkspaceAsync();
        var started = SessionDriver.Signal("started");
        var task = await driver.CreateTaskAsync(workspace, "Never finishes", StandInAgent.Script(new { touch = started }, new { waitFor = started + ".never" }));
        var session = await driver.RunAsync(workspace, task);
        await Eventually.WaitAsync(() => File.Exists(started), "the agent to start");

        Assert.Equal(0, await runner.StopAsync());

        var ended = await driver.GetSessionAsync(workspace, session.Id);
        Assert.Equal(SessionStatus.Failed, ended.Status);
        Assert.Contains("shut down", ended.Error, StringComparison.Ordinal);
        var pid = await driver.AgentPidAsync(workspace, session.Id);
        Assert.False(ProcessSignals.IsAlive(pid), $"the agent (pid {pid}) outlived its runner");
        await runner.DisposeAsync();
    }

    /// <summary>Every event once, numbered 1..N without a gap, each flood message exactly once per flood.</summary>
    private static async Task AssertCompleteAsync(SessionDriver driver, string workspace, Session session, int floods, int perFlood)
    {
        var events = await driver.LogsAsync(workspace, session.Id);
        Assert.Equal(Enumerable.Range(1, events.Count).Select(i => (long)i), events.Select(e => e.Seq));
        Assert.Equal(session.LastSequence, events[^1].Seq);
        var said = events.Where(e => e.Stream == "stdout").Select(e => ClaudeEvent.Parse(e.Text)).OfType<ClaudeEvent.Message>()
            .SelectMany(m => m.Parts).Select(p => p.Text.TrimEnd('.').TrimEnd()).ToList();
        for (var i = 1; i <= perFlood; i += perFlood / 10)
        {
            Assert.Equal(floods, said.Count(text => text == $"event {i} of {perFlood}"));
        }

        Assert.Equal(floods * perFlood, said.Count(text => text.StartsWith("event ", StringComparison.Ordinal)));
    }
}

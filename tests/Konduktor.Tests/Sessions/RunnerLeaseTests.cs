using System.Net.Http.Json;
using System.Text.Json;
using Konduktor.Core.Sessions;
using Konduktor.Runner.Processes;
using Konduktor.Runner.Worker;
using Konduktor.Tests.Infrastructure;

namespace Konduktor.Tests.Sessions;

/// <summary>
/// A runner holds its sessions by a lease its heartbeats renew: cut off or asleep past the window, it stops its agents
/// before Konduktor may give their sessions to another runner, and what it says late changes nothing.
/// </summary>
public sealed class RunnerLeaseTests(AzuriteFixture azurite)
{
    private static readonly Dictionary<string, string> ShortLease = new()
    {
        ["Konduktor__Sessions__OrphanAfterSeconds"] = "12",
        ["Konduktor__Timers__SessionJanitor"] = "*/1 * * * * *",
    };

    [Fact]
    public async Task A_runner_cut_off_from_the_api_stops_its_agent_before_another_runner_resumes_the_task_and_its_late_report_changes_nothing()
    {
        await using var up = await KonduktorUp.StartAsync(storage: azurite.ConnectionString, extraArguments: ["--no-runner"], environment: ShortLease);
        await using var network = TcpRelay.Start(up.Url);
        await using var laptop = await RunnerProcess.StartAsync(up.Home, "laptop", extraArguments: ["--url", network.Url]);
        var driver = new SessionDriver(up);
        var (workspace, remote) = await driver.CreateWorkspaceAsync();
        var record = SessionDriver.Signal("agents");
        var task = await driver.CreateTaskAsync(workspace, "Outlives its network", StandInAgent.Script(
            new { write = "laptop.txt", content = "done on the laptop\n" },
            new { commit = "Work from the laptop" },
            new { onStop = record, text = "laptop agent stopped" },
            new { say = "Working on it." },
            new { append = record, text = "laptop agent started" },
            new { waitFor = record + ".never" }));
        var first = await driver.RunAsync(workspace, task);
        await Eventually.WaitAsync(() => File.Exists(record), "the laptop's agent to start");
        await Eventually.WaitAsync(async () => await driver.GetSessionAsync(workspace, first.Id) is { ClaudeSessionId: not null } s ? s : null, "the conversation to be recorded");
        await Eventually.WaitAsync(async () => (await driver.LogsAsync(workspace, first.Id)).Any(e => e.Text.StartsWith(TranscriptShipping.FirstKept, StringComparison.Ordinal)) ? "" : null,
            "the transcript to reach Konduktor while the agent works");

        network.Cut();
        await using var desk = await RunnerProcess.StartAsync(up.Home, "desk");
        var orphaned = await driver.WaitForEndAsync(workspace, first.Id, TimeSpan.FromSeconds(60));
        Assert.Equal(SessionStatus.Orphaned, orphaned.Status);
        var resumed = await up.CliAsync("-w", workspace, "--json", "tasks", "resume", task.ShortId, "--message", StandInAgent.Script(new { append = record, text = "desk agent started" }));
        Assert.True(resumed.ExitCode == 0, resumed.ToString());
        var second = await driver.WaitForEndAsync(workspace, JsonSerializer.Deserialize<Session>(resumed.Output, SessionsHost.Json)!.Id);

        Assert.True(second.Status == SessionStatus.Succeeded, $"{second.Status} on {second.RunnerName}: {second.Error}");
        Assert.Equal("desk", second.RunnerName);
        Assert.Equal(["laptop agent started", "laptop agent stopped", "desk agent started"], await File.ReadAllLinesAsync(record));
        Assert.Contains("Work from the laptop", await remote.GitAsync("log", "--format=%s", first.Branch!), StringComparison.Ordinal);
        var taskBefore = await driver.GetTaskAsync(workspace, task.Id);

        network.Restore();
        await Eventually.WaitAsync(async () => (await driver.LogsAsync(workspace, first.Id)).Any(e => e.Text.StartsWith("late report from runner laptop", StringComparison.Ordinal)) ? "" : null,
            "the laptop's late report to be kept in the log", TimeSpan.FromSeconds(60));
        var after = await driver.GetSessionAsync(workspace, first.Id);
        Assert.Equal(SessionStatus.Orphaned, after.Status);
        Assert.Equal(orphaned.Error, after.Error);
        Assert.Equal(orphaned.EndedAt, after.EndedAt);
        var taskAfter = await driver.GetTaskAsync(workspace, task.Id);
        Assert.Equal(taskBefore.ClaudeSessionId, taskAfter.ClaudeSessionId);
        Assert.Equal(second.Id, taskAfter.LatestSession!.Id);
        Assert.Contains((await driver.LogsAsync(workspace, first.Id)).Select(e => e.Text), t => t.Contains("could not reach Konduktor", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_runner_frozen_past_its_lease_has_its_agent_stopped_before_the_session_is_orphaned_and_changes_nothing_on_waking()
    {
        await using var up = await KonduktorUp.StartAsync(storage: azurite.ConnectionString, extraArguments: ["--no-runner"], environment: ShortLease);
        await using var laptop = await RunnerProcess.StartAsync(up.Home, "sleepy");
        var driver = new SessionDriver(up);
        var (workspace, _) = await driver.CreateWorkspaceAsync();
        var record = SessionDriver.Signal("agents");
        var task = await driver.CreateTaskAsync(workspace, "Outlives a nap", StandInAgent.Script(
            new { onStop = record, text = "stopped" },
            new { append = record, text = "started" },
            new { waitFor = record + ".never" }));
        var session = await driver.RunAsync(workspace, task);
        await Eventually.WaitAsync(() => File.Exists(record), "the agent to start");
        var agent = await driver.AgentPidAsync(workspace, session.Id);

        laptop.Freeze();

        // The agent's supervisor holds the lease on the machine: the agent stops while its runner sleeps, before the
        // janitor orphans the session; the runner, woken, reports nothing that changes the session's end.
        await Eventually.WaitAsync(() => !ProcessSignals.IsAlive(agent), "the agent of the sleeping runner to stop", TimeSpan.FromSeconds(30));
        Assert.True((await driver.GetSessionAsync(workspace, session.Id)).IsActive, "the agent stopped before Konduktor could orphan its session");
        var orphaned = await driver.WaitForEndAsync(workspace, session.Id, TimeSpan.FromSeconds(60));
        Assert.Equal(SessionStatus.Orphaned, orphaned.Status);
        laptop.Thaw();

        await Eventually.WaitAsync(async () => (await driver.LogsAsync(workspace, session.Id)).Any(e => e.Text.StartsWith("late report from runner sleepy", StringComparison.Ordinal)) ? "" : null,
            "the woken runner's late report to be kept in the log", TimeSpan.FromSeconds(30));
        Assert.Equal(["started", "stopped"], await File.ReadAllLinesAsync(record));
        Assert.Equal(orphaned.Error, (await driver.GetSessionAsync(workspace, session.Id)).Error);
    }

    [Fact]
    public async Task The_registration_names_the_lease_and_the_heartbeat_reply_names_the_sessions_a_runner_no_longer_owns()
    {
        await using var up = await KonduktorUp.StartAsync(storage: azurite.ConnectionString, extraArguments: ["--no-runner"], environment: ShortLease);
        using var http = up.Http();
        var registered = await http.PostAsJsonAsync("api/runners", new { name = "probe", capacity = 1 });
        var registration = JsonDocument.Parse(await registered.Content.ReadAsStringAsync()).RootElement;
        // Known before the runner takes any work: an agent started before the first heartbeat holds the right deadline.
        Assert.Equal(12, registration.GetProperty("leaseSeconds").GetInt32());
        using var runner = up.Http(registration.GetProperty("token").GetString());
        var stranger = Guid.NewGuid();

        var reply = await runner.PostAsJsonAsync($"api/runners/{registration.GetProperty("runnerId").GetString()}/heartbeat", new { capacity = 1, activeSessions = new[] { stranger } });

        var body = JsonDocument.Parse(await reply.Content.ReadAsStringAsync()).RootElement;
        Assert.True(reply.IsSuccessStatusCode, body.ToString());
        Assert.Equal(stranger, Assert.Single(body.GetProperty("lostSessions").EnumerateArray()).GetGuid());
        Assert.Equal(12, body.GetProperty("leaseSeconds").GetInt32());
        Assert.Empty(body.GetProperty("stopSessions").EnumerateArray());
    }
}

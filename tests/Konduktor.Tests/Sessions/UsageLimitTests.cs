using Konduktor.Core.Sessions;
using Konduktor.Tests.Infrastructure;

namespace Konduktor.Tests.Sessions;

/// <summary>
/// Usage limits with the real Claude Code, signed in with a subscription token, against a fake API that answers 429 with
/// Anthropic's unified rate-limit headers until a (shortened) reset: sessions wait for quota instead of failing, runners
/// using the limited account start nothing, and the conversation goes on after the reset.
/// </summary>
public sealed class UsageLimitTests(AzuriteFixture azurite)
{
    /// <summary>The janitor (which continues waiting sessions) every second, and resets believed from one second ahead.</summary>
    private static readonly Dictionary<string, string> QuickQuota = new()
    {
        ["Konduktor__Timers__SessionJanitor"] = "*/1 * * * * *",
        ["Konduktor__Quota__MinimumWaitSeconds"] = "1",
    };

    [Fact]
    public async Task A_session_at_the_usage_limit_waits_for_the_reset_holds_back_the_queue_and_then_continues_its_conversation()
    {
        await using var api = await FakeAnthropic.StartAsync();
        await using var up = await KonduktorUp.StartAsync(storage: azurite.ConnectionString, extraArguments: ["--no-runner"], environment: QuickQuota);
        await using var runner = await StartSubscriberAsync(up, api);
        var driver = new SessionDriver(up);
        var (workspace, remote) = await driver.CreateWorkspaceAsync();
        var reset = DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.AddSeconds(25).ToUnixTimeSeconds());
        api.LimitUsageUntil(reset);
        var firstMarker = "first-task-" + Guid.NewGuid().ToString("N")[..8];
        var first = await driver.CreateTaskAsync(workspace, "Meets the limit", FakeAnthropic.Script(
            new { bash = "printf 'after the limit\\n' > resumed.txt && git add resumed.txt && git commit -qm 'Work after the limit'" },
            new { text = "Done after the limit." }) + firstMarker);
        var secondMarker = "second-task-" + Guid.NewGuid().ToString("N")[..8];
        var second = await driver.CreateTaskAsync(workspace, "Waits in the queue", FakeAnthropic.Script(new { text = "Second done." }) + secondMarker);

        var parked = (await driver.RunAsync(workspace, first)).Id;
        var waiting = await Eventually.WaitAsync(async () => await driver.GetSessionAsync(workspace, parked) is { Status: SessionStatus.WaitingForQuota } s ? s : null,
            "the first session to wait for quota", TimeSpan.FromSeconds(60));
        var queued = await driver.RunAsync(workspace, second);
        var shown = await up.CliAsync("-w", workspace, "tasks", "show", first.ShortId);
        var listedRunners = await up.CliAsync("runners", "list");

        Assert.Equal(reset, waiting.QuotaResetsAt);
        Assert.Equal(reset, waiting.ResumesAt);
        Assert.Contains("waiting for quota, resumes at ", shown.Output, StringComparison.Ordinal);
        Assert.Contains("usage limit until", listedRunners.Output, StringComparison.Ordinal);
        Assert.Contains("account ", queued.Notice ?? "", StringComparison.Ordinal);
        Assert.True(DateTimeOffset.UtcNow < reset, "the test reached its checks only after the reset; give the limit longer");

        var continued = await driver.WaitForEndAsync(workspace, parked, TimeSpan.FromSeconds(120));
        var other = await driver.WaitForEndAsync(workspace, queued.Id, TimeSpan.FromSeconds(120));

        Assert.True(continued.Status == SessionStatus.Succeeded, $"{continued.Status}: {continued.Error}");
        Assert.True(other.Status == SessionStatus.Succeeded, $"{other.Status}: {other.Error}");
        Assert.Equal(1, continued.Continuations);
        Assert.Equal(waiting.ClaudeSessionId, continued.ClaudeSessionId);
        Assert.True(other.ClaimedAt >= reset, $"the queued session was claimed at {other.ClaimedAt:O}, before the reset at {reset:O}");
        Assert.True(continued.ClaimedAt >= reset, $"the waiting session went on at {continued.ClaimedAt:O}, before the reset at {reset:O}");
        Assert.DoesNotContain(api.Arrivals, a => !a.Refused && a.At < reset);
        Assert.DoesNotContain(api.Arrivals, a => a.At < reset && a.Body["messages"]!.ToJsonString().Contains(secondMarker, StringComparison.Ordinal));
        // The same conversation went on: the request after the reset carries the task and the word that the limit is over.
        Assert.Contains(api.Arrivals, a => !a.Refused && a.Body["messages"]!.ToJsonString() is var messages
            && messages.Contains(firstMarker, StringComparison.Ordinal) && messages.Contains("The limit has reset", StringComparison.Ordinal));
        var logs = await driver.LogsAsync(workspace, parked);
        Assert.Equal(logs.Select(e => e.Seq), Enumerable.Range(1, logs.Count).Select(i => (long)i));
        Assert.Contains(logs, e => e.Stream == "konduktor" && e.Text.Contains("stopped at its account", StringComparison.Ordinal));
        Assert.Equal(2, logs.Count(e => e.Stream == "konduktor" && e.Text.StartsWith("agent started", StringComparison.Ordinal)));
        Assert.Contains("Work after the limit", await remote.GitAsync("log", "--format=%s", continued.Branch!), StringComparison.Ordinal);
        var task = await driver.GetTaskAsync(workspace, first.Id);
        Assert.Null(task.ResumesAt);
        Assert.Null(task.QuotaResetsAt);
    }

    [Fact]
    public async Task With_automatic_resumes_off_a_waiting_session_stays_until_a_person_resumes_it_and_a_stop_ends_the_wait()
    {
        await using var api = await FakeAnthropic.StartAsync();
        await using var up = await KonduktorUp.StartAsync(storage: azurite.ConnectionString, extraArguments: ["--no-runner"], environment: QuickQuota);
        await using var runner = await StartSubscriberAsync(up, api);
        var driver = new SessionDriver(up);
        var (workspace, _) = await driver.CreateWorkspaceAsync();
        Assert.Equal(0, (await up.CliAsync("-w", workspace, "config", "set", "--auto-resume", "off")).ExitCode);
        // Far enough ahead that a loaded machine still starts the session inside the limit.
        var reset = DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.AddSeconds(15).ToUnixTimeSeconds());
        api.LimitUsageUntil(reset);
        var held = await driver.CreateTaskAsync(workspace, "Waits for a person", FakeAnthropic.Script(new { text = "Held done." }));

        var heldSession = (await driver.RunAsync(workspace, held)).Id;
        await Eventually.WaitAsync(async () => (await driver.GetSessionAsync(workspace, heldSession)).Status == SessionStatus.WaitingForQuota ? (object)true : null, "the session to wait for quota", TimeSpan.FromSeconds(60));
        // Past the reset, with the janitor running every second, another task runs start to end: runners take work again.
        var after = await driver.CreateTaskAsync(workspace, "Runs after the reset", FakeAnthropic.Script(new { text = "After." }));
        var afterSession = await driver.WaitForEndAsync(workspace, (await driver.RunAsync(workspace, after)).Id, TimeSpan.FromSeconds(120));

        Assert.True(afterSession.Status == SessionStatus.Succeeded, $"{afterSession.Status}: {afterSession.Error}");
        Assert.True(afterSession.ClaimedAt >= reset, $"claimed at {afterSession.ClaimedAt:O}, before the reset at {reset:O}");
        var stillWaiting = await driver.GetSessionAsync(workspace, heldSession);
        Assert.Equal(SessionStatus.WaitingForQuota, stillWaiting.Status);
        Assert.Null(stillWaiting.ResumesAt);
        Assert.Contains("automatic resumes are off", (await up.CliAsync("-w", workspace, "tasks", "show", held.ShortId)).Output, StringComparison.Ordinal);
        var runAgain = await up.CliAsync("-w", workspace, "tasks", "run", held.ShortId);
        Assert.Equal(1, runAgain.ExitCode);
        Assert.Contains("waits for its account", runAgain.Error, StringComparison.Ordinal);

        var resumedByHand = await driver.ResumeAsync(workspace, held, "Carry on, please.");
        var ended = await driver.WaitForEndAsync(workspace, heldSession, TimeSpan.FromSeconds(120));

        Assert.Equal(heldSession, resumedByHand.Id);
        Assert.True(ended.Status == SessionStatus.Succeeded, $"{ended.Status}: {ended.Error}");
        Assert.Contains(api.Arrivals, a => !a.Refused && a.Body["messages"]!.ToJsonString().Contains("Carry on, please.", StringComparison.Ordinal));

        // A stop ends a wait: the session is stopped, and the task no longer says it resumes.
        api.LimitUsageUntil(DateTimeOffset.UtcNow.AddMinutes(5));
        var stopped = await driver.CreateTaskAsync(workspace, "Is stopped while it waits", FakeAnthropic.Script(new { text = "Never." }));
        var stoppedSession = (await driver.RunAsync(workspace, stopped)).Id;
        await Eventually.WaitAsync(async () => (await driver.GetSessionAsync(workspace, stoppedSession)).Status == SessionStatus.WaitingForQuota ? (object)true : null,
            "the second session to meet the limit and wait", TimeSpan.FromSeconds(60));
        var stop = await up.CliAsync("-w", workspace, "tasks", "stop", stopped.ShortId);

        Assert.True(stop.ExitCode == 0, stop.ToString());
        var stoppedEnd = await driver.GetSessionAsync(workspace, stoppedSession);
        Assert.Equal(SessionStatus.Stopped, stoppedEnd.Status);
        Assert.Contains("while it waited for the usage limit", stoppedEnd.Error, StringComparison.Ordinal);
        Assert.Null((await driver.GetTaskAsync(workspace, stopped.Id)).QuotaResetsAt);
        Assert.NotNull(stoppedEnd.LastSequence);
    }

    /// <summary>A runner whose real Claude Code is signed in with a subscription token (the limits that reset are a subscription's).</summary>
    private static Task<RunnerProcess> StartSubscriberAsync(KonduktorUp up, FakeAnthropic api)
    {
        var subscription = new Dictionary<string, string>(RealClaude.Environment(api)) { ["ANTHROPIC_API_KEY"] = "", ["CLAUDE_CODE_OAUTH_TOKEN"] = "sk-ant-oat01-fake-for-tests" };
        return RunnerProcess.StartAsync(up.Home, "subscriber", agentCommand: RealClaude.Executable, environment: subscription,
            userHome: Directory.CreateTempSubdirectory("konduktor-user-subscriber-").FullName, extraArguments: ["--account", "team@example.com"]);
    }
}

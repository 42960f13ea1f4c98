using Konduktor.Core.Agents;
using Konduktor.Core.Auth;
using Konduktor.Core.Questions;
using Konduktor.Core.Results;
using Konduktor.Core.Sessions;
using Konduktor.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace Konduktor.Tests.Agents;

/// <summary>When scheduled agents run, on a controlled clock: intervals, cron in a time zone, overlap skips, one catch-up run.</summary>
public sealed class AgentScheduleTests(AzuriteFixture azurite)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly DateTimeOffset Start = new(2026, 1, 5, 10, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task An_interval_agent_runs_when_due_is_skipped_while_its_run_is_active_and_runs_once_after_missed_slots()
    {
        var clock = new FakeTimeProvider(Start);
        await using var core = new CoreHarness(azurite, clock: clock);
        var workspace = await core.NewWorkspaceAsync();
        var created = (await core.Agents.CreateAsync(core.Person, workspace.Name, new NewAgent { Preset = "pr-reviewer" }, Ct)).Value!;

        clock.Advance(TimeSpan.FromMinutes(29));
        var early = await core.Agents.RunDueAsync(Ct);
        clock.Advance(TimeSpan.FromMinutes(1));
        var due = await core.Agents.RunDueAsync(Ct);
        var again = await core.Agents.RunDueAsync(Ct);
        var afterFirst = (await core.Agents.GetAsync(core.Person, workspace.Name, "pr-reviewer", Ct)).Value!;
        clock.Advance(TimeSpan.FromMinutes(30));
        var overlapping = await core.Agents.RunDueAsync(Ct);
        await core.Stops.StopAsync(core.Person, workspace.Name, afterFirst.LastSessionId!.Value.ToString(), Ct);
        clock.Advance(TimeSpan.FromHours(5));
        var catchUp = await core.Agents.RunDueAsync(Ct);
        var caughtUp = (await core.Agents.GetAsync(core.Person, workspace.Name, "pr-reviewer", Ct)).Value!;
        var session = (await core.Sessions.GetAsync(core.Person, workspace.Name, caughtUp.LastSessionId!.Value.ToString(), Ct)).Value!;

        Assert.Equal("30m", created.Every);
        Assert.Equal(Start.AddMinutes(30), created.NextRunAt);
        Assert.Equal(new SchedulerPass(0, 0, 0), early);
        Assert.Equal(new SchedulerPass(1, 0, 0), due);
        Assert.Equal(new SchedulerPass(0, 0, 0), again);
        Assert.Equal(Start.AddMinutes(60), afterFirst.NextRunAt);
        Assert.Equal(new SchedulerPass(0, 1, 0), overlapping);
        Assert.Equal(new SchedulerPass(1, 0, 0), catchUp);
        Assert.Equal(clock.GetUtcNow().AddMinutes(30), caughtUp.NextRunAt);
        Assert.Equal(2, caughtUp.RunCount);
        Assert.Equal(1, caughtUp.SkippedCount);
        Assert.Equal([AgentRunOutcome.Queued, AgentRunOutcome.Skipped, AgentRunOutcome.Queued], caughtUp.Runs!.Select(r => r.Outcome));
        Assert.Contains("still queued", caughtUp.Runs![1].Reason, StringComparison.Ordinal);
        Assert.Equal(SessionKind.ScheduledAgent, session.Kind);
        Assert.Equal("pr-reviewer", session.AgentName);
        Assert.Null(session.TaskId);
    }

    [Fact]
    public async Task A_cron_agent_runs_at_the_time_in_its_time_zone_and_a_disabled_agent_does_not_run()
    {
        var clock = new FakeTimeProvider(Start);
        await using var core = new CoreHarness(azurite, clock: clock);
        var workspace = await core.NewWorkspaceAsync();
        var paris = (await core.Agents.CreateAsync(core.Person, workspace.Name, new NewAgent { Name = "morning", Prompt = "Say good morning", Cron = "0 9 * * *", TimeZone = "Europe/Paris" }, Ct)).Value!;
        var disabled = (await core.Agents.UpdateAsync(core.Person, workspace.Name, "morning", new AgentChanges { Enabled = false }, Ct)).Value!;
        clock.Advance(TimeSpan.FromDays(1));
        var whileDisabled = await core.Agents.RunDueAsync(Ct);
        var enabled = (await core.Agents.UpdateAsync(core.Person, workspace.Name, "morning", new AgentChanges { Enabled = true }, Ct)).Value!;
        var badCron = await core.Agents.CreateAsync(core.Person, workspace.Name, new NewAgent { Name = "bad", Prompt = "x", Cron = "every morning" }, Ct);
        var both = await core.Agents.CreateAsync(core.Person, workspace.Name, new NewAgent { Name = "both", Prompt = "x", Every = "1h", Cron = "0 * * * *" }, Ct);
        var noSchedule = await core.Agents.CreateAsync(core.Person, workspace.Name, new NewAgent { Name = "never", Prompt = "x" }, Ct);
        var badZone = await core.Agents.CreateAsync(core.Person, workspace.Name, new NewAgent { Name = "zone", Prompt = "x", Cron = "0 9 * * *", TimeZone = "Mars/Olympus" }, Ct);

        Assert.Equal(new DateTimeOffset(2026, 1, 6, 8, 0, 0, TimeSpan.Zero), paris.NextRunAt);
        Assert.Null(disabled.NextRunAt);
        Assert.Equal(new SchedulerPass(0, 0, 0), whileDisabled);
        Assert.Equal(new DateTimeOffset(2026, 1, 7, 8, 0, 0, TimeSpan.Zero), enabled.NextRunAt);
        Assert.IsType<Invalid>(badCron.Failure);
        Assert.IsType<Invalid>(both.Failure);
        Assert.IsType<Invalid>(noSchedule.Failure);
        Assert.IsType<Invalid>(badZone.Failure);
    }

    [Fact]
    public async Task An_agent_sees_the_answers_to_its_questions_on_its_next_run_and_its_session_may_not_manage_agents()
    {
        var clock = new FakeTimeProvider(Start);
        await using var core = new CoreHarness(azurite, clock: clock);
        var workspace = await core.NewWorkspaceAsync();
        await core.Agents.CreateAsync(core.Person, workspace.Name, new NewAgent { Name = "asker", Prompt = "Work through the CLI.", Every = "1h" }, Ct);
        var first = (await core.Agents.RunNowAsync(core.Person, workspace.Name, "asker", Ct)).Value!;
        var agentSession = new Principal(PrincipalKind.Session, "agent asker (session x)", workspace.Id, first.SessionId);
        var question = (await core.Questions.AskAsync(agentSession, workspace.Name, new NewQuestion("Which area should I audit first?"), Ct)).Value!;
        clock.Advance(TimeSpan.FromMinutes(10));
        await core.Questions.AnswerAsync(core.Person, workspace.Name, question.ShortId, new QuestionAnswer("The billing module."), Ct);
        await core.Stops.StopAsync(core.Person, workspace.Name, first.SessionId!.Value.ToString(), Ct);
        clock.Advance(TimeSpan.FromMinutes(50));

        var pass = await core.Agents.RunDueAsync(Ct);
        var agent = (await core.Agents.GetAsync(core.Person, workspace.Name, "asker", Ct)).Value!;
        var second = (await core.Sessions.GetAsync(core.Person, workspace.Name, agent.LastSessionId!.Value.ToString(), Ct)).Value!;

        Assert.Equal("asker", question.AgentName);
        Assert.Equal(new SchedulerPass(1, 0, 0), pass);
        Assert.Contains("Which area should I audit first?", second.Message, StringComparison.Ordinal);
        Assert.Contains("The billing module.", second.Message, StringComparison.Ordinal);
        Assert.IsType<Forbidden>(Policy.Authorize(agentSession, Act.ManageAgents).Failure);
    }
}

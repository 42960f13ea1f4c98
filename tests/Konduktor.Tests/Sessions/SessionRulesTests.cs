using Konduktor.Core;
using Konduktor.Core.Auth;
using Konduktor.Core.Results;
using Konduktor.Core.Sessions;
using Konduktor.Core.Tasks;
using Konduktor.Tests.Infrastructure;

namespace Konduktor.Tests.Sessions;

/// <summary>The session rules in core, on real storage and without a host.</summary>
public sealed class SessionRulesTests(AzuriteFixture azurite)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(SessionStatus.Queued, SessionStatus.Claimed, true)]
    [InlineData(SessionStatus.Claimed, SessionStatus.Running, true)]
    [InlineData(SessionStatus.Running, SessionStatus.Succeeded, true)]
    [InlineData(SessionStatus.Running, SessionStatus.Orphaned, true)]
    [InlineData(SessionStatus.Queued, SessionStatus.Running, false)]
    [InlineData(SessionStatus.Succeeded, SessionStatus.Running, false)]
    [InlineData(SessionStatus.Failed, SessionStatus.Succeeded, false)]
    [InlineData(SessionStatus.Stopped, SessionStatus.Queued, false)]
    public void Session_states_change_only_along_the_allowed_paths(SessionStatus from, SessionStatus to, bool allowed) =>
        Assert.Equal(allowed, SessionStates.CanMove(from, to));

    [Theory]
    [InlineData("Fix: the <login> page & its \"bugs\"!", "konduktor/d80339c4-fix-the-login-page-its-bugs")]
    [InlineData("--force; rm -rf /", "konduktor/d80339c4-force-rm-rf")]
    [InlineData("日本語", "konduktor/d80339c4-task")]
    [InlineData("a very long title that goes on and on and on well past forty characters", "konduktor/d80339c4-a-very-long-title-that-goes-on-and-on-an")]
    public void Branch_names_are_sanitized_whatever_the_title(string title, string expected) =>
        Assert.Equal(expected, SessionPrompts.BranchFor(Guid.Parse("d80339c4-0000-4000-8000-000000000000"), title));

    [Fact]
    public async Task Of_many_runners_claiming_one_session_at_once_exactly_one_wins()
    {
        await using var core = new CoreHarness(azurite);
        var workspace = await core.NewWorkspaceAsync();
        var task = (await core.Tasks.CreateAsync(core.Person, workspace.Name, new NewTask { Title = "claim me" }, Ct)).Value!;
        var session = (await core.Starts.RunTaskAsync(core.Person, workspace.Name, task.ShortId, Ct)).Value!;
        var runners = await Task.WhenAll(Enumerable.Range(0, 6).Select(i => core.NewRunnerAsync($"runner-{i}")));

        var claims = await Task.WhenAll(runners.Select(r => core.Claims.ClaimAsync(r, workspace.Id, session.Id, Ct)));

        Assert.Single(claims, c => c.IsSuccess);
        Assert.All(claims.Where(c => !c.IsSuccess), c => Assert.IsType<Conflict>(c.Failure));
        var winner = claims.Single(c => c.IsSuccess).Value!;
        var stored = (await core.Sessions.GetAsync(core.Person, workspace.Name, session.ShortId, Ct)).Value!;
        Assert.Equal(SessionStatus.Claimed, stored.Status);
        Assert.Equal(winner.Session.RunnerId, stored.RunnerId);
        Assert.Contains(task.Title, winner.Prompt, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Concurrent_runs_of_one_task_start_exactly_one_session()
    {
        await using var core = new CoreHarness(azurite);
        var workspace = await core.NewWorkspaceAsync();
        var task = (await core.Tasks.CreateAsync(core.Person, workspace.Name, new NewTask { Title = "run me once" }, Ct)).Value!;

        var runs = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => core.Starts.RunTaskAsync(core.Person, workspace.Name, task.ShortId, Ct)));

        var started = Assert.Single(runs, r => r.IsSuccess).Value!;
        Assert.All(runs.Where(r => !r.IsSuccess), r => Assert.Contains(started.ShortId, r.Failure!.Message, StringComparison.Ordinal));
        var sessions = (await core.Sessions.ListAsync(core.Person, workspace.Name, new SessionFilter { Task = task.ShortId }, Ct)).Value!;
        Assert.Equal(started.Id, Assert.Single(sessions).Id);
        var after = (await core.Tasks.GetAsync(core.Person, workspace.Name, task.ShortId, Ct)).Value!;
        Assert.Equal("In progress", after.Status);
        Assert.Equal(1, after.SessionCount);
    }

    [Fact]
    public async Task A_retried_log_batch_lands_on_the_same_rows_and_never_duplicates()
    {
        await using var core = new CoreHarness(azurite);
        var workspace = await core.NewWorkspaceAsync();
        var task = (await core.Tasks.CreateAsync(core.Person, workspace.Name, new NewTask { Title = "log me" }, Ct)).Value!;
        var session = (await core.Starts.RunTaskAsync(core.Person, workspace.Name, task.ShortId, Ct)).Value!;
        var runner = await core.NewRunnerAsync("logger");
        Assert.True((await core.Claims.ClaimAsync(runner, workspace.Id, session.Id, Ct)).IsSuccess);
        var now = DateTimeOffset.UtcNow;
        var big = new string('x', 100_000);
        var batch = Enumerable.Range(1, 250).Select(i => new LogEvent(i, now, "stdout", i == 7 ? big : $"line {i}")).ToList();

        Assert.True((await core.Logs.AppendAsync(runner, workspace.Id, session.Id, new LogAppend(batch), Ct)).IsSuccess);
        Assert.True((await core.Logs.AppendAsync(runner, workspace.Id, session.Id, new LogAppend(batch[100..]), Ct)).IsSuccess);
        var page = (await core.Logs.ReadAsync(core.Person, workspace.Name, session.ShortId, 0, 5000, TimeSpan.Zero, Ct)).Value!;

        Assert.Equal(Enumerable.Range(1, 250).Select(i => (long)i), page.Events.Select(e => e.Seq));
        Assert.Equal(big, page.Events[6].Text);
        var tail = (await core.Logs.ReadAsync(core.Person, workspace.Name, session.ShortId, 240, 5000, TimeSpan.Zero, Ct)).Value!;
        Assert.Equal(Enumerable.Range(241, 10).Select(i => (long)i), tail.Events.Select(e => e.Seq));
    }

    [Fact]
    public async Task A_reported_claude_session_id_is_a_uuid_or_refused_so_it_never_names_a_file()
    {
        await using var core = new CoreHarness(azurite);
        var workspace = await core.NewWorkspaceAsync();
        var task = (await core.Tasks.CreateAsync(core.Person, workspace.Name, new NewTask { Title = "careful" }, Ct)).Value!;
        var session = (await core.Starts.RunTaskAsync(core.Person, workspace.Name, task.ShortId, Ct)).Value!;
        var runner = await core.NewRunnerAsync("careful-runner");
        await core.Claims.ClaimAsync(runner, workspace.Id, session.Id, Ct);

        var evil = await core.Reports.ReportAsync(runner, workspace.Id, session.Id, new SessionReport { Status = SessionStatus.Running, ClaudeSessionId = "../../../elsewhere/evil" }, Ct);
        var fine = await core.Reports.ReportAsync(runner, workspace.Id, session.Id, new SessionReport { Status = SessionStatus.Running, ClaudeSessionId = Guid.NewGuid().ToString() }, Ct);

        Assert.Equal("claudeSessionId", Assert.IsType<Invalid>(evil.Failure).Field);
        Assert.True(fine.IsSuccess);
    }

    [Fact]
    public async Task Only_the_runner_that_claimed_a_session_may_report_on_it_or_write_its_logs()
    {
        await using var core = new CoreHarness(azurite);
        var workspace = await core.NewWorkspaceAsync();
        var task = (await core.Tasks.CreateAsync(core.Person, workspace.Name, new NewTask { Title = "mine" }, Ct)).Value!;
        var session = (await core.Starts.RunTaskAsync(core.Person, workspace.Name, task.ShortId, Ct)).Value!;
        var owner = await core.NewRunnerAsync("owner");
        var stranger = await core.NewRunnerAsync("stranger");
        var job = (await core.Claims.ClaimAsync(owner, workspace.Id, session.Id, Ct)).Value!;

        var report = await core.Reports.ReportAsync(stranger, workspace.Id, session.Id, new SessionReport { Status = SessionStatus.Running }, Ct);
        var logs = await core.Logs.AppendAsync(stranger, workspace.Id, session.Id, new LogAppend([new LogEvent(1, DateTimeOffset.UtcNow, "stdout", "x")]), Ct);
        var asPerson = await core.Reports.ReportAsync(core.Person, workspace.Id, session.Id, new SessionReport { Status = SessionStatus.Running }, Ct);
        var backwards = await core.Reports.ReportAsync(owner, workspace.Id, session.Id, new SessionReport { Status = SessionStatus.Queued }, Ct);

        Assert.IsType<Forbidden>(report.Failure);
        Assert.IsType<Forbidden>(logs.Failure);
        Assert.IsType<Forbidden>(asPerson.Failure);
        Assert.IsType<Conflict>(backwards.Failure);
        var agent = await core.Authenticator.AuthenticateAsync("Bearer " + job.Token, Ct);
        Assert.Equal(new Principal(PrincipalKind.Session, $"session {session.ShortId}", workspace.Id, session.Id), agent.Value);

        Assert.True((await core.Reports.ReportAsync(owner, workspace.Id, session.Id, new SessionReport { Status = SessionStatus.Failed, Error = "gave up" }, Ct)).IsSuccess);
        Assert.IsType<Unauthorized>((await core.Authenticator.AuthenticateAsync("Bearer " + job.Token, Ct)).Failure);
        Assert.IsType<Conflict>((await core.Reports.ReportAsync(owner, workspace.Id, session.Id, new SessionReport { Status = SessionStatus.Succeeded }, Ct)).Failure);
        var after = (await core.Tasks.GetAsync(core.Person, workspace.Name, task.ShortId, Ct)).Value!;
        Assert.Equal(new SessionSummary(session.Id, "failed", false, "gave up"), after.LatestSession);
    }

    [Fact]
    public async Task A_reader_of_a_running_session_never_skips_an_event_whose_batch_landed_late()
    {
        await using var core = new CoreHarness(azurite);
        var workspace = await core.NewWorkspaceAsync();
        var task = (await core.Tasks.CreateAsync(core.Person, workspace.Name, new NewTask { Title = "out of order" }, Ct)).Value!;
        var session = (await core.Starts.RunTaskAsync(core.Person, workspace.Name, task.ShortId, Ct)).Value!;
        var runner = await core.NewRunnerAsync("shipper");
        await core.Claims.ClaimAsync(runner, workspace.Id, session.Id, Ct);
        LogEvent Event(int seq) => new(seq, DateTimeOffset.UtcNow, "stdout", $"line {seq}");

        await core.Logs.AppendAsync(runner, workspace.Id, session.Id, new LogAppend(Enumerable.Range(1, 100).Select(Event).ToList()), Ct);
        await core.Logs.AppendAsync(runner, workspace.Id, session.Id, new LogAppend(Enumerable.Range(201, 100).Select(Event).ToList()), Ct);
        var early = (await core.Logs.ReadAsync(core.Person, workspace.Name, session.ShortId, 0, 5000, TimeSpan.Zero, Ct)).Value!;
        await core.Logs.AppendAsync(runner, workspace.Id, session.Id, new LogAppend(Enumerable.Range(101, 100).Select(Event).ToList()), Ct);
        var late = (await core.Logs.ReadAsync(core.Person, workspace.Name, session.ShortId, early.Next, 5000, TimeSpan.Zero, Ct)).Value!;

        Assert.Equal(Enumerable.Range(1, 100).Select(i => (long)i), early.Events.Select(e => e.Seq));
        Assert.Equal(Enumerable.Range(101, 200).Select(i => (long)i), late.Events.Select(e => e.Seq));
        Assert.False(late.Complete);
    }
}

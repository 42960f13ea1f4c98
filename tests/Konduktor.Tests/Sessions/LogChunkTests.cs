using Azure.Data.Tables;
using Konduktor.Core;
using Konduktor.Core.Auth;
using Konduktor.Core.Sessions;
using Konduktor.Core.Storage;
using Konduktor.Core.Tasks;
using Konduktor.Core.Workspaces;
using Konduktor.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Konduktor.Tests.Sessions;

/// <summary>Session logs leave the table store for compressed chunks, and read as one sequence all the while.</summary>
public sealed class LogChunkTests(AzuriteFixture azurite)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_live_sessions_events_move_into_chunks_and_read_as_one_sequence_from_anywhere()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var core = new CoreHarness(azurite, clock: clock);
        var (workspace, session, runner) = await RunningSessionAsync(core);
        var big = new string('x', 40_000);
        await AppendAsync(core, runner, workspace, session, 1, 1200, seq => seq == 7 ? big : null);

        await core.Compactor.RunAsync(Ct);
        await AppendAsync(core, runner, workspace, session, 1201, 100);
        await core.Compactor.RunAsync(Ct);
        Assert.Equal(100, await RowCountAsync(core, session));
        clock.Advance(TimeSpan.FromSeconds(6));
        await core.Compactor.RunAsync(Ct);
        await AppendAsync(core, runner, workspace, session, 1301, 50);

        Assert.Equal(50, await RowCountAsync(core, session));
        Assert.Equal([(1L, 1200L), (1201L, 1300L)], (await core.Chunks.ListAsync(workspace.Id, session.Id, Ct)).Select(c => (c.First, c.Last)));
        var all = await ReadAsync(core, workspace, session, 0, 5000);
        Assert.Equal(Enumerable.Range(1, 1350).Select(i => (long)i), all.Select(e => e.Seq));
        Assert.Equal(big, all[6].Text);
        Assert.Equal("event 1300", all[1299].Text);
        Assert.Equal(Enumerable.Range(1251, 70).Select(i => (long)i), (await ReadAsync(core, workspace, session, 1250, 70)).Select(e => e.Seq));
        Assert.Equal(Enumerable.Range(556, 10).Select(i => (long)i), (await ReadAsync(core, workspace, session, 555, 10)).Select(e => e.Seq));
    }

    [Fact]
    public async Task An_ended_sessions_logs_leave_the_table_entirely_merged_into_one_chunk()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var core = new CoreHarness(azurite, clock: clock);
        var (workspace, session, runner) = await RunningSessionAsync(core);
        await AppendAsync(core, runner, workspace, session, 1, 600);
        await core.Compactor.RunAsync(Ct);
        await AppendAsync(core, runner, workspace, session, 601, 30);
        clock.Advance(TimeSpan.FromSeconds(6));
        await core.Compactor.RunAsync(Ct);
        await AppendAsync(core, runner, workspace, session, 631, 20);
        Assert.True((await core.Reports.ReportAsync(runner, workspace.Id, session.Id, new SessionReport { Status = SessionStatus.Succeeded, ExitCode = 0, LastSequence = 650 }, Ct)).IsSuccess);

        var report = await core.Compactor.RunAsync(Ct);

        Assert.Equal(20, report.Moved);
        Assert.Equal(0, await RowCountAsync(core, session));
        Assert.Equal([(1L, 650L)], (await core.Chunks.ListAsync(workspace.Id, session.Id, Ct)).Select(c => (c.First, c.Last)));
        var pending = await core.Storage.Table(LogCompactor.PendingTable);
        Assert.Empty(await AllAsync(pending.QueryAsync<TableEntity>(cancellationToken: Ct)));
        var page = (await core.Logs.ReadAsync(core.Person, workspace.Name, session.ShortId, 0, 5000, TimeSpan.Zero, Ct)).Value!;
        Assert.Equal(Enumerable.Range(1, 650).Select(i => (long)i), page.Events.Select(e => e.Seq));
        Assert.True(page.Complete);
    }

    [Fact]
    public async Task A_reader_following_a_live_session_while_its_rows_move_into_chunks_sees_every_event_once_in_order()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var core = new CoreHarness(azurite, clock: clock);
        var (workspace, session, runner) = await RunningSessionAsync(core);
        const int total = 3000;
        using var done = new CancellationTokenSource();
        var writer = Task.Run(async () =>
        {
            for (var first = 1; first <= total; first += 50)
            {
                await AppendAsync(core, runner, workspace, session, first, 50);
            }
        }, Ct);
        var compactor = Task.Run(async () =>
        {
            while (!done.IsCancellationRequested)
            {
                clock.Advance(TimeSpan.FromSeconds(6));
                await core.Compactor.RunAsync(Ct);
            }
        }, Ct);

        var seen = new List<long>();
        while (seen.Count < total)
        {
            var page = (await core.Logs.ReadAsync(core.Person, workspace.Name, session.ShortId, seen.Count == 0 ? 0 : seen[^1], 137, TimeSpan.FromSeconds(5), Ct)).Value!;
            seen.AddRange(page.Events.Select(e => e.Seq));
        }

        await writer;
        await done.CancelAsync();
        await compactor;
        Assert.Equal(Enumerable.Range(1, total).Select(i => (long)i), seen);
        Assert.NotEmpty(await core.Chunks.ListAsync(workspace.Id, session.Id, Ct));
    }

    [Fact]
    public async Task An_install_whose_logs_are_all_rows_is_moved_into_chunks_a_slice_at_a_time()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow) { AutoAdvanceAmount = TimeSpan.FromSeconds(1) };
        await using var core = new CoreHarness(azurite, clock: clock);
        var sessions = new List<(Workspace Workspace, Session Session)>();
        for (var i = 0; i < 3; i++)
        {
            var (workspace, session, runner) = await RunningSessionAsync(core);
            await AppendAsync(core, runner, workspace, session, 1, 120);
            Assert.True((await core.Reports.ReportAsync(runner, workspace.Id, session.Id, new SessionReport { Status = SessionStatus.Failed, Error = "old", LastSequence = 120 }, Ct)).IsSuccess);
            sessions.Add((workspace, session));
        }

        // The layout before chunks noted nothing: only rows.
        var pending = await core.Storage.Table(LogCompactor.PendingTable);
        foreach (var note in await AllAsync(pending.QueryAsync<TableEntity>(cancellationToken: Ct)))
        {
            await pending.DeleteEntityAsync(note.PartitionKey, note.RowKey, cancellationToken: Ct);
        }

        var calls = 0;
        var layout = await core.Storage.Table(LogCompactor.LayoutTable);
        while (!(await layout.GetEntityIfExistsAsync<TableEntity>("layout", "logs", cancellationToken: Ct)).HasValue)
        {
            Assert.True(++calls < 20, "the migration never finished");
            await core.Compactor.MigrateAsync(TimeSpan.FromSeconds(2.5), Ct);
        }

        Assert.True(calls > 1, "the migration finished in one slice: nothing showed it goes on where it stopped");
        foreach (var (workspace, session) in sessions)
        {
            Assert.Equal(0, await RowCountAsync(core, session));
            Assert.Equal(Enumerable.Range(1, 120).Select(i => (long)i), (await ReadAsync(core, workspace, session, 0, 5000)).Select(e => e.Seq));
        }
    }

    private static async Task<(Workspace, Session, Principal)> RunningSessionAsync(CoreHarness core)
    {
        var workspace = await core.NewWorkspaceAsync($"https://github.com/myorg/talk{Guid.NewGuid():N}");
        var task = (await core.Tasks.CreateAsync(core.Person, workspace.Name, new NewTask { Title = "talkative" }, Ct)).Value!;
        var session = (await core.Starts.RunTaskAsync(core.Person, workspace.Name, task.ShortId, Ct)).Value!;
        var runner = await core.NewRunnerAsync("logger-" + ShortId.Of(session.Id));
        Assert.True((await core.Claims.ClaimAsync(runner, workspace.Id, session.Id, Ct)).IsSuccess);
        Assert.True((await core.Reports.ReportAsync(runner, workspace.Id, session.Id, new SessionReport { Status = SessionStatus.Running }, Ct)).IsSuccess);
        return (workspace, session, runner);
    }

    private static async Task AppendAsync(CoreHarness core, Principal runner, Workspace workspace, Session session, int first, int count, Func<int, string?>? text = null)
    {
        var now = core.Clock.GetUtcNow();
        var events = Enumerable.Range(first, count).Select(seq => new LogEvent(seq, now, "stdout", text?.Invoke(seq) ?? $"event {seq}")).ToList();
        Assert.True((await core.Logs.AppendAsync(runner, workspace.Id, session.Id, new LogAppend(events), Ct)).IsSuccess);
    }

    private static async Task<List<LogEvent>> ReadAsync(CoreHarness core, Workspace workspace, Session session, long after, int limit) =>
        [.. (await core.Logs.ReadAsync(core.Person, workspace.Name, session.ShortId, after, limit, TimeSpan.Zero, Ct)).Value!.Events];

    private static async Task<List<T>> AllAsync<T>(IAsyncEnumerable<T> items)
    {
        var all = new List<T>();
        await foreach (var item in items)
        {
            all.Add(item);
        }

        return all;
    }

    private static async Task<int> RowCountAsync(CoreHarness core, Session session)
    {
        var table = await core.Storage.Table(TableNames.SessionLogs);
        return (await AllAsync(table.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {ShortId.Format(session.Id)}"), cancellationToken: Ct))).Count;
    }
}

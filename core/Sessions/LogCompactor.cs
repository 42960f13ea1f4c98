using System.Collections.Concurrent;
using Azure;
using Azure.Data.Tables;
using Konduktor.Core.Storage;
using Microsoft.Extensions.Logging;

namespace Konduktor.Core.Sessions;

/// <param name="Enabled">False (<c>Konduktor:Logs:Compaction</c> = off) keeps every event a table row, the layout before chunks: for the year bench's comparison.</param>
public sealed record LogCompactionOptions(bool Enabled)
{
    public const string Setting = "Konduktor:Logs:Compaction";
}

/// <param name="Sessions">Sessions whose rows were looked at.</param>
/// <param name="Moved">Events moved from table rows into chunks.</param>
/// <param name="Migrated">Sessions of the old layout (logs as rows only) whose rows moved in this pass.</param>
public sealed record CompactionReport(int Sessions, int Moved, int Migrated);

/// <summary>
/// Moves session logs out of the table store: a live session's events go into a compressed chunk every few seconds, an
/// ended session's all of them, merged into few chunks. A chunk is written, read back and compared, and only then are
/// its rows deleted, so a reader always finds every event in a row, a chunk or both. Sessions with rows to move are
/// noted in <c>logcompactions</c> when their events arrive; an install whose logs are all rows (the layout before
/// chunks) is moved session by session first, resumably, and noted as done in <c>konduktorlayout</c>.
/// </summary>
public sealed class LogCompactor(StorageClients storage, LogChunks chunks, SessionStore sessions, TextStore texts, LogCompactionOptions options, TimeProvider clock, ILogger<LogCompactor> logger)
{
    public const string PendingTable = "logcompactions";
    public const string LayoutTable = "konduktorlayout";
    private const string Pending = "pending";
    private const int ChunkAtEvents = 500;
    private const int MergedChunkEvents = 10_000;
    private static readonly TimeSpan ChunkAfter = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan MigrationSlice = TimeSpan.FromSeconds(20);
    private static readonly TimeSpan GapPatience = TimeSpan.FromHours(1);
    private readonly ConcurrentDictionary<Guid, bool> _noted = new();

    /// <summary>Notes that a session has rows to move (once per session and process: a note is one more write).</summary>
    public async Task NoteAsync(Guid workspaceId, Guid sessionId, CancellationToken ct)
    {
        if (_noted.TryAdd(sessionId, true))
        {
            var table = await storage.Table(PendingTable);
            await table.UpsertEntityAsync(new TableEntity(Pending, ShortId.Format(sessionId)) { ["WorkspaceId"] = ShortId.Format(workspaceId) }, TableUpdateMode.Replace, ct);
        }
    }

    /// <summary>One pass: the old layout's sessions first (for a while), then every noted session.</summary>
    public async Task<CompactionReport> RunAsync(CancellationToken ct)
    {
        if (!options.Enabled)
        {
            return new CompactionReport(0, 0, 0);
        }

        var migrated = await MigrateAsync(MigrationSlice, ct);
        var table = await storage.Table(PendingTable);
        var notes = new List<TableEntity>();
        await foreach (var note in table.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {Pending}"), cancellationToken: ct))
        {
            notes.Add(note);
        }

        // Sessions are independent: several at once, so their writes share the storage journal's syncs.
        var moved = 0;
        await Parallel.ForEachAsync(notes, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = ct }, async (note, token) =>
        {
            var (workspaceId, sessionId) = (Guid.Parse(note.GetString("WorkspaceId")), Guid.Parse(note.RowKey));
            var (count, done) = await CompactAsync(workspaceId, sessionId, token);
            Interlocked.Add(ref moved, count);
            if (done)
            {
                try
                {
                    await table.DeleteEntityAsync(Pending, note.RowKey, note.ETag, token);
                    _noted.TryRemove(sessionId, out _);
                }
                catch (RequestFailedException e) when (e.Status == 412)
                {
                    // Noted again since it was read (late events): the next pass moves them.
                }
            }
        });

        return new CompactionReport(notes.Count, moved, migrated);
    }

    /// <summary>
    /// Moves what is ready of one session's rows into chunks; returns how many events moved, and whether the session has
    /// ended with nothing left in rows (its chunks merged). A run of rows is ready when it follows the chunks before it
    /// without a gap (a live session's later events may still be in flight) and is big or old enough, or the session
    /// has ended; after a gap, an ended session's rows wait <see cref="GapPatience"/> for a runner's spool to fill it.
    /// </summary>
    public async Task<(int Moved, bool Done)> CompactAsync(Guid workspaceId, Guid sessionId, CancellationToken ct)
    {
        var session = await sessions.FindEntityAsync(workspaceId, sessionId, ct);
        var ended = session is null || SessionStates.IsFinal(session.StatusValue);
        var patient = session?.EndedAt is { } endedAt && clock.GetUtcNow() - endedAt < GapPatience;
        var table = await storage.Table(TableNames.SessionLogs);
        var rows = await RowsAsync(table, sessionId, ct);
        var existing = await chunks.ListAsync(workspaceId, sessionId, ct);
        // Rows a chunk already holds (a compaction cut short after its upload) only need deleting.
        var held = rows.Where(r => existing.Any(c => c.First <= r.Seq && r.Seq <= c.Last)).ToList();
        await DeleteRowsAsync(table, sessionId, held, ct);
        var moved = 0;
        var left = 0;
        foreach (var run in Runs(rows.Except(held)))
        {
            var followsOn = run[0].Seq == 1 || existing.Any(c => c.Last == run[0].Seq - 1);
            var ready = ended ? followsOn || !patient : followsOn && (run.Count >= ChunkAtEvents || clock.GetUtcNow() - run[0].Time >= ChunkAfter);
            if (!ready)
            {
                left += run.Count;
                continue;
            }

            await MoveAsync(table, workspaceId, sessionId, run, ct);
            existing = [.. existing, new LogChunk(run[0].Seq, run[^1].Seq, "")];
            moved += run.Count;
        }

        if (!ended || left > 0)
        {
            return (moved, false);
        }

        await MergeAsync(workspaceId, sessionId, ct);
        return (moved, true);
    }

    /// <summary>Rows split where a sequence number is missing.</summary>
    private static IEnumerable<List<StoredEvent>> Runs(IEnumerable<StoredEvent> rows)
    {
        var run = new List<StoredEvent>();
        foreach (var row in rows.OrderBy(r => r.Seq))
        {
            if (run.Count > 0 && row.Seq != run[^1].Seq + 1)
            {
                yield return run;
                run = [];
            }

            run.Add(row);
        }

        if (run.Count > 0)
        {
            yield return run;
        }
    }

    /// <summary>
    /// The layout before chunks kept every event as a row and noted nothing: each session with rows is moved, for at most
    /// <paramref name="slice"/> per call (the next call goes on), and the layout is marked done once none is left.
    /// </summary>
    public async Task<int> MigrateAsync(TimeSpan slice, CancellationToken ct)
    {
        if (!options.Enabled)
        {
            return 0;
        }

        var layout = await storage.Table(LayoutTable);
        if ((await layout.GetEntityIfExistsAsync<TableEntity>("layout", "logs", cancellationToken: ct)).HasValue)
        {
            return 0;
        }

        var started = clock.GetUtcNow();
        var logs = await storage.Table(TableNames.SessionLogs);
        var all = await storage.Table(TableNames.Sessions);
        var candidates = new List<(Guid Workspace, Guid Session)>();
        await foreach (var entity in all.QueryAsync<TableEntity>(select: ["PartitionKey", "RowKey"], cancellationToken: ct))
        {
            candidates.Add((Guid.Parse(entity.PartitionKey), Guid.Parse(entity.RowKey)));
        }

        var migrated = 0;
        var withRows = 0;
        for (var i = 0; i < candidates.Count; i++)
        {
            var (workspaceId, sessionId) = candidates[i];
            if (!await HasRowsAsync(logs, sessionId, ct))
            {
                continue;
            }

            withRows++;
            if (clock.GetUtcNow() - started > slice)
            {
                logger.LogInformation("Logs: moving the old layout's rows into compressed chunks, {Done} of {Total} sessions looked at; going on", i, candidates.Count);
                return migrated;
            }

            await NoteAsync(workspaceId, sessionId, ct);
            if ((await CompactAsync(workspaceId, sessionId, ct)).Moved > 0)
            {
                migrated++;
            }

            if (withRows % 50 == 0)
            {
                logger.LogInformation("Logs: moving the old layout's rows into compressed chunks, {Done} of {Total} sessions looked at", i + 1, candidates.Count);
            }
        }

        await layout.UpsertEntityAsync(new TableEntity("layout", "logs") { ["Version"] = "chunks-1" }, TableUpdateMode.Replace, ct);
        if (withRows > 0)
        {
            logger.LogInformation("Logs: the old layout is moved ({Migrated} sessions' logs now in compressed chunks)", migrated);
        }

        return migrated;
    }

    /// <summary>Writes the run as a chunk, reads it back and compares, then deletes its rows.</summary>
    private async Task MoveAsync(TableClient table, Guid workspaceId, Guid sessionId, List<StoredEvent> run, CancellationToken ct)
    {
        var events = new List<LogEvent>(run.Count);
        foreach (var row in run)
        {
            events.Add(row.Event with { Text = row.Blob is null ? row.Event.Text : await texts.LoadAsync(new StoredText(null, row.Blob), ct) });
        }

        var chunk = await chunks.WriteAsync(workspaceId, sessionId, events, ct);
        var kept = await chunks.ReadAsync(chunk, ct);
        if (!kept.SequenceEqual(events))
        {
            throw new InvalidOperationException($"log chunk {chunk.Name} does not hold what was written; its rows stay");
        }

        await DeleteRowsAsync(table, sessionId, run, ct);
    }

    /// <summary>An ended session's chunks become few: consecutive ones merged up to <see cref="MergedChunkEvents"/>, the longer written first.</summary>
    private async Task MergeAsync(Guid workspaceId, Guid sessionId, CancellationToken ct)
    {
        var all = await chunks.ListAsync(workspaceId, sessionId, ct);
        var group = new List<LogChunk>();
        foreach (var chunk in all.Append(null))
        {
            if (chunk is not null && (group.Count == 0 || (chunk.First == group[^1].Last + 1 && chunk.Last - group[0].First < MergedChunkEvents)))
            {
                group.Add(chunk);
                continue;
            }

            if (group.Count > 1)
            {
                var events = new List<LogEvent>();
                foreach (var part in group)
                {
                    events.AddRange(await chunks.ReadAsync(part, ct));
                }

                var merged = await chunks.WriteAsync(workspaceId, sessionId, events, ct);
                if ((await chunks.ReadAsync(merged, ct)).SequenceEqual(events))
                {
                    foreach (var part in group)
                    {
                        await chunks.DeleteAsync(sessionId, part, ct);
                    }
                }
            }

            group = chunk is null ? [] : [chunk];
        }
    }

    private static async Task<List<StoredEvent>> RowsAsync(TableClient table, Guid sessionId, CancellationToken ct)
    {
        var rows = new List<StoredEvent>();
        await foreach (var entity in table.QueryAsync<LogEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {ShortId.Format(sessionId)}"), cancellationToken: ct))
        {
            rows.Add(new StoredEvent(new LogEvent(long.Parse(entity.RowKey, System.Globalization.CultureInfo.InvariantCulture), entity.Time, entity.Stream, entity.Text ?? ""), entity.TextBlob));
        }

        return rows;
    }

    private static async Task<bool> HasRowsAsync(TableClient table, Guid sessionId, CancellationToken ct)
    {
        await foreach (var _ in table.QueryAsync<LogEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {ShortId.Format(sessionId)}"), maxPerPage: 1, select: ["RowKey"], cancellationToken: ct))
        {
            return true;
        }

        return false;
    }

    private static async Task DeleteRowsAsync(TableClient table, Guid sessionId, List<StoredEvent> rows, CancellationToken ct)
    {
        var partition = ShortId.Format(sessionId);
        foreach (var batch in rows.Chunk(100))
        {
            try
            {
                await table.SubmitTransactionAsync(batch.Select(r => new TableTransactionAction(TableTransactionActionType.Delete, new TableEntity(partition, LogEntity.Row(r.Event.Seq)), ETag.All)), ct);
            }
            catch (TableTransactionFailedException e) when (e.Status == 404)
            {
                // Another pass deleted some of them: delete the rest one by one.
                foreach (var row in batch)
                {
                    await table.DeleteEntityAsync(partition, LogEntity.Row(row.Event.Seq), ETag.All, ct);
                }
            }
        }
    }

    /// <summary>A row: the event, and the blob its text is in when it was too long for the row.</summary>
    private sealed record StoredEvent(LogEvent Event, string? Blob)
    {
        public long Seq => Event.Seq;

        public DateTimeOffset Time => Event.Time;
    }
}

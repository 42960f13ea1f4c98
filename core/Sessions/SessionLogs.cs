using System.Text;
using Azure;
using Azure.Data.Tables;
using Konduktor.Core.Auth;
using Konduktor.Core.Results;
using Konduktor.Core.Storage;

namespace Konduktor.Core.Sessions;

/// <summary>One line the agent wrote: a stream-json event on stdout, or a line of stderr.</summary>
/// <param name="Seq">Per session, from 1, without gaps.</param>
/// <param name="Stream">stdout, stderr, or konduktor (the runner's own notes).</param>
public sealed record LogEvent(long Seq, DateTimeOffset Time, string Stream, string Text);

/// <param name="Next">Pass as <c>after</c> to read on.</param>
/// <param name="Complete">The session has ended and every event of it has been read.</param>
public sealed record LogPage(IReadOnlyList<LogEvent> Events, long Next, SessionStatus Status, bool Complete);

public sealed record LogAppend(IReadOnlyList<LogEvent> Events);

public sealed record LogAppended(int Written);

/// <summary>
/// Session logs, kept forever. Events arrive as table rows (PartitionKey = session id, RowKey = the zero-padded
/// sequence number; a batch is written as upserts, so a retried batch lands on the same rows and never duplicates), and
/// the <see cref="LogCompactor"/> moves them into compressed chunks (<see cref="LogChunks"/>) within seconds. Readers see
/// one sequence across chunks and rows.
/// </summary>
public sealed class SessionLogs(SessionStore sessions, StorageClients storage, TextStore texts, SessionSignals signals, LogChunks chunks, LogCompactor compactor, SessionActivity activity)
{
    public const int MaxEventsPerAppend = 5000;
    public const int MaxReadLimit = 5000;
    /// <summary>The agent's output, its errors, Konduktor's own notes, the worktree's setup script's output, and what people said to the agent (<see cref="PersonTurn"/>).</summary>
    public static readonly string[] Streams = ["stdout", "stderr", "konduktor", "setup", "person"];
    private const int MaxTransactionBytes = 3 * 1024 * 1024;
    private const int MaxEventChars = 4 * 1024 * 1024;
    private static readonly TimeSpan CrossInstancePoll = TimeSpan.FromSeconds(1);

    public async Task<Result<LogAppended>> AppendAsync(Principal caller, Guid workspaceId, Guid sessionId, LogAppend append, CancellationToken ct)
    {
        var events = append.Events;
        if (events.Count > MaxEventsPerAppend)
        {
            return new TooLarge($"at most {MaxEventsPerAppend} events per batch");
        }

        if (events.FirstOrDefault(e => e.Seq < 1 || !Streams.Contains(e.Stream) || e.Text.Length > MaxEventChars) is { } bad)
        {
            return new Invalid($"event {bad.Seq} is not valid: sequence numbers start at 1, the stream is one of {string.Join(", ", Streams)}, text at most {MaxEventChars:N0} characters", "events");
        }

        if ((await sessions.FindOwnedAsync(caller, workspaceId, sessionId, ct)).Failure is { } failure)
        {
            return failure;
        }

        var partition = ShortId.Format(sessionId);
        var batches = new List<List<TableTransactionAction>>();
        var current = new List<TableTransactionAction>();
        var bytes = 0;
        foreach (var logEvent in events.DistinctBy(e => e.Seq))
        {
            var stored = await texts.SaveAsync($"logs/{partition}/{logEvent.Seq}", logEvent.Text, ct);
            var entity = new LogEntity
            {
                PartitionKey = partition,
                RowKey = LogEntity.Row(logEvent.Seq),
                Time = logEvent.Time,
                Stream = logEvent.Stream,
                Text = stored.Inline,
                TextBlob = stored.BlobName,
            };
            var size = (entity.Text?.Length ?? 0) * 2 + 256;
            if (current.Count == 100 || bytes + size > MaxTransactionBytes)
            {
                batches.Add(current);
                (current, bytes) = ([], 0);
            }

            current.Add(new TableTransactionAction(TableTransactionActionType.UpsertReplace, entity));
            bytes += size;
        }

        if (current.Count > 0)
        {
            batches.Add(current);
        }

        await compactor.NoteAsync(workspaceId, sessionId, ct);
        var table = await storage.Table(TableNames.SessionLogs);
        await Parallel.ForEachAsync(batches, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = ct }, async (batch, token) =>
            await table.SubmitTransactionAsync(batch, token));
        signals.Pulse(sessionId);
        activity.Note(workspaceId, sessionId, events);
        return new LogAppended(events.Count);
    }

    /// <summary>Events after <paramref name="after"/>; with a wait, holds the request until there are some or the session ends.</summary>
    public async Task<Result<LogPage>> ReadAsync(Principal caller, string workspaceRef, string sessionRef, long after, int limit, TimeSpan wait, CancellationToken ct)
    {
        if (!(await sessions.ResolveAsync(caller, workspaceRef, sessionRef, ct)).TryGet(out var session, out var failure))
        {
            return failure;
        }

        if (after < 0 || limit is < 1 or > MaxReadLimit || wait < TimeSpan.Zero || wait > TimeSpan.FromSeconds(60))
        {
            return new Invalid($"after must be 0 or more, limit 1 to {MaxReadLimit}, wait 0 to 60 seconds");
        }

        var deadline = DateTimeOffset.UtcNow + wait;
        while (true)
        {
            var seen = signals.Version(session.Id);
            var events = ContiguousFrom(after, await ReadEventsAsync(session.WorkspaceId, session.Id, after, limit, ct), SessionStates.IsFinal(session.StatusValue));
            var next = events.Count > 0 ? events[^1].Seq : after;
            var finished = SessionStates.IsFinal(session.StatusValue);
            var complete = finished && events.Count < limit && (session.LastSequence is not { } last || next >= last);
            var remaining = deadline - DateTimeOffset.UtcNow;
            if (events.Count > 0 || complete || remaining <= TimeSpan.Zero)
            {
                return new LogPage(events, next, session.StatusValue, complete);
            }

            await signals.WaitAsync(session.Id, seen, remaining < CrossInstancePoll ? remaining : CrossInstancePoll, ct);
            session = await sessions.FindEntityAsync(session.WorkspaceId, session.Id, ct) ?? session;
        }
    }

    /// <summary>
    /// A batch lands as several transactions written in parallel, so a reader can glimpse event 301 before 201 is
    /// visible. Handing out only the gap-free run after <paramref name="after"/> means a follower never skips one;
    /// the rest comes with the next read. Once the session has ended every write is in, and all is given.
    /// </summary>
    private static List<LogEvent> ContiguousFrom(long after, List<LogEvent> events, bool ended)
    {
        if (ended)
        {
            return events;
        }

        var expected = after + 1;
        var count = 0;
        while (count < events.Count && events[count].Seq == expected)
        {
            count++;
            expected++;
        }

        return count == events.Count ? events : events[..count];
    }

    /// <summary>
    /// Up to <paramref name="limit"/> events after <paramref name="after"/>, from chunks and rows, whichever holds the
    /// next one. Rows are deleted only once a chunk holds them, so an event not in the rows read is in a chunk; a chunk
    /// merged away meanwhile is looked up again.
    /// </summary>
    private async Task<List<LogEvent>> ReadEventsAsync(Guid workspaceId, Guid sessionId, long after, int limit, CancellationToken ct)
    {
        var events = new List<LogEvent>();
        var cursor = after;
        while (events.Count < limit)
        {
            var rows = await ReadRowsAsync(sessionId, cursor, limit - events.Count, ct);
            if (rows.Count > 0 && rows[0].Seq == cursor + 1)
            {
                events.AddRange(rows);
                break;
            }

            if (await chunks.FindNextAsync(workspaceId, sessionId, cursor, ct) is not { } chunk || (rows.Count > 0 && rows[0].Seq < chunk.First))
            {
                // No chunk holds the next event: it is in flight, or a gap an ended session keeps; what there is follows.
                events.AddRange(rows);
                break;
            }

            IReadOnlyList<LogEvent> held;
            try
            {
                held = await chunks.ReadAsync(chunk, ct);
            }
            catch (RequestFailedException e) when (e.Status == 404)
            {
                chunks.Forget(sessionId);
                continue;
            }

            var taken = held.Where(e => e.Seq > cursor).Take(limit - events.Count).ToList();
            if (taken.Count == 0)
            {
                break;
            }

            events.AddRange(taken);
            cursor = taken[^1].Seq;
        }

        return events;
    }

    private async Task<List<LogEvent>> ReadRowsAsync(Guid sessionId, long after, int limit, CancellationToken ct)
    {
        var table = await storage.Table(TableNames.SessionLogs);
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {ShortId.Format(sessionId)} and RowKey gt {LogEntity.Row(after)}");
        var events = new List<LogEvent>();
        await foreach (var entity in table.QueryAsync<LogEntity>(filter, maxPerPage: Math.Min(limit, 1000), cancellationToken: ct))
        {
            var text = entity.TextBlob is null ? entity.Text ?? "" : await texts.LoadAsync(new StoredText(null, entity.TextBlob), ct);
            events.Add(new LogEvent(long.Parse(entity.RowKey, System.Globalization.CultureInfo.InvariantCulture), entity.Time, entity.Stream, text));
            if (events.Count == limit)
            {
                break;
            }
        }

        return events;
    }
}

internal sealed class LogEntity : ITableEntity
{
    public string PartitionKey { get; set; } = "";

    public string RowKey { get; set; } = "";

    public DateTimeOffset? Timestamp { get; set; }

    public ETag ETag { get; set; }

    public DateTimeOffset Time { get; set; }

    public string Stream { get; set; } = "";

    public string? Text { get; set; }

    public string? TextBlob { get; set; }

    public static string Row(long seq) => seq.ToString("D12", System.Globalization.CultureInfo.InvariantCulture);
}

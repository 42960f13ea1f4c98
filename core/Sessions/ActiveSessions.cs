using Azure;
using Azure.Data.Tables;
using Konduktor.Core.Storage;

namespace Konduktor.Core.Sessions;

/// <summary>
/// A small index of the sessions that are not over yet (one partition), so the janitor and heartbeats find them
/// without scanning every workspace. It follows the session rows and may lag them; readers check the session itself.
/// </summary>
public sealed class ActiveSessions(StorageClients storage)
{
    internal async Task UpsertAsync(SessionEntity session, Action<ActiveSessionEntity>? change, CancellationToken ct)
    {
        var table = await storage.Table(TableNames.ActiveSessions);
        var found = await table.GetEntityIfExistsAsync<ActiveSessionEntity>(ActiveSessionEntity.Partition, session.RowKey, cancellationToken: ct);
        var row = found.HasValue && found.Value is { } existing ? existing : new ActiveSessionEntity { RowKey = session.RowKey, EnqueuedAt = session.CreatedAt };
        row.WorkspaceId = session.PartitionKey;
        row.RunnerId = session.RunnerId;
        row.Status = session.Status;
        row.StopRequested = session.StopRequestedAt is not null;
        row.Since = session.StartedAt ?? session.ClaimedAt;
        change?.Invoke(row);
        await table.UpsertEntityAsync(row, TableUpdateMode.Replace, ct);
    }

    /// <summary>What the agent is doing now (a merge: the rest of the row is the session's to write); a session gone from the index is no failure.</summary>
    internal async Task NoteActivityAsync(Guid sessionId, string activity, DateTimeOffset at, CancellationToken ct)
    {
        var table = await storage.Table(TableNames.ActiveSessions);
        try
        {
            await table.UpdateEntityAsync(
                new TableEntity(ActiveSessionEntity.Partition, ShortId.Format(sessionId)) { [nameof(ActiveSessionEntity.Activity)] = activity, [nameof(ActiveSessionEntity.ActivityAt)] = at },
                ETag.All, TableUpdateMode.Merge, ct);
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            // The session ended meanwhile: its card shows how.
        }
    }

    internal async Task RemoveAsync(Guid sessionId, CancellationToken ct)
    {
        var table = await storage.Table(TableNames.ActiveSessions);
        try
        {
            await table.DeleteEntityAsync(ActiveSessionEntity.Partition, ShortId.Format(sessionId), ETag.All, ct);
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            // Already gone: the index follows the sessions and may be tidied twice.
        }
    }

    /// <summary>The workspace's sessions that are not over: when each started and what its agent is doing, by session.</summary>
    public async Task<IReadOnlyDictionary<Guid, ActiveSessionView>> OfWorkspaceAsync(Guid workspaceId, CancellationToken ct)
    {
        var rows = await ListAsync(TableClient.CreateQueryFilter($"WorkspaceId eq {ShortId.Format(workspaceId)}"), ct);
        return rows.ToDictionary(r => Guid.Parse(r.RowKey), r => new ActiveSessionView(r.Since, r.Activity, r.ActivityAt));
    }

    internal async Task<List<ActiveSessionEntity>> ListAsync(string? extraFilter, CancellationToken ct)
    {
        var table = await storage.Table(TableNames.ActiveSessions);
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {ActiveSessionEntity.Partition}") + (extraFilter is null ? "" : " and " + extraFilter);
        var rows = new List<ActiveSessionEntity>();
        await foreach (var row in table.QueryAsync<ActiveSessionEntity>(filter, cancellationToken: ct))
        {
            rows.Add(row);
        }

        return rows;
    }
}

/// <summary>A session not over yet, as a card shows it: since when, and what its agent is doing.</summary>
public sealed record ActiveSessionView(DateTimeOffset? Since, string? Activity, DateTimeOffset? ActivityAt);

internal sealed class ActiveSessionEntity : ITableEntity
{
    public const string Partition = "active";

    public string PartitionKey { get; set; } = Partition;

    public string RowKey { get; set; } = "";

    public DateTimeOffset? Timestamp { get; set; }

    public ETag ETag { get; set; }

    public string WorkspaceId { get; set; } = "";

    public string? RunnerId { get; set; }

    public string Status { get; set; } = "";

    public bool StopRequested { get; set; }

    /// <summary>When the job message was last put on the queue, and how many times: the janitor re-queues lost ones.</summary>
    public DateTimeOffset EnqueuedAt { get; set; }

    public int EnqueueCount { get; set; } = 1;

    /// <summary>When the agent started (or its runner claimed it): the card's elapsed time.</summary>
    public DateTimeOffset? Since { get; set; }

    /// <summary>The agent's latest activity in one line (the tool it is using, or its last words), and when.</summary>
    public string? Activity { get; set; }

    public DateTimeOffset? ActivityAt { get; set; }
}

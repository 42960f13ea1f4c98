using Azure;
using Azure.Data.Tables;
using Konduktor.Core.Auth;
using Konduktor.Core.Json;
using Konduktor.Core.Results;
using Konduktor.Core.Storage;
using Konduktor.Core.Tasks;
using Konduktor.Core.Workspaces;
using Microsoft.Extensions.Logging;

namespace Konduktor.Core.Sessions;

/// <summary>
/// The session rows every use case shares: finding one (by reference, for its runner), writing a change a caller has
/// just read (a lost race is a conflict), and keeping its task's card in step.
/// </summary>
public sealed class SessionStore(WorkspaceService workspaces, TaskService tasks, StorageClients storage, SessionSignals signals, ILogger<SessionStore> logger)
{
    internal const int MaxErrorLength = 4000;
    internal const int MaxMessageLength = 20_000;

    internal async Task<Result<SessionEntity>> ResolveAsync(Principal caller, string workspaceRef, string sessionRef, CancellationToken ct)
    {
        if (!(await workspaces.ResolveAsync(caller, workspaceRef, ct)).TryGet(out var workspace, out var failure))
        {
            return failure;
        }

        var table = await storage.Table(TableNames.Sessions);
        return await PrefixLookup.FindAsync<SessionEntity>(table, ShortId.Format(workspace.Id), sessionRef, "session", s => $"{s.RowKey} ({StatusName(s.StatusValue)})", ct);
    }

    /// <summary>A session, for the runner that claimed it and no one else (reports, logs, transcripts).</summary>
    internal async Task<Result<SessionEntity>> FindOwnedAsync(Principal caller, Guid workspaceId, Guid sessionId, CancellationToken ct)
    {
        if (await FindEntityAsync(workspaceId, sessionId, ct) is not { } session)
        {
            return new NotFound($"no session matches '{ShortId.Of(sessionId)}'");
        }

        return caller.Kind == PrincipalKind.Runner && caller.Id is { } runnerId && session.RunnerId == ShortId.Format(runnerId)
            ? session
            : new Forbidden($"session {ShortId.Of(sessionId)} is not run by this runner");
    }

    /// <summary>
    /// A session this runner runs that has not ended: what the runner may still keep for it (its transcript, its
    /// changes). A session ended without its runner (orphaned while out of reach) may have been resumed elsewhere since,
    /// and a late copy must not replace what a later session keeps; <paramref name="tooLate"/> says what is refused.
    /// </summary>
    internal async Task<Result<SessionEntity>> FindOwnedUnendedAsync(Principal caller, Guid workspaceId, Guid sessionId, string tooLate, CancellationToken ct)
    {
        if (!(await FindOwnedAsync(caller, workspaceId, sessionId, ct)).TryGet(out var session, out var failure))
        {
            return failure;
        }

        return SessionStates.IsFinal(session.StatusValue)
            ? new Conflict($"session {ShortId.Of(sessionId)} already ended {StatusName(session.StatusValue)}; {tooLate}")
            : session;
    }

    internal async Task<SessionEntity?> FindEntityAsync(Guid workspaceId, Guid sessionId, CancellationToken ct)
    {
        var table = await storage.Table(TableNames.Sessions);
        var found = await table.GetEntityIfExistsAsync<SessionEntity>(ShortId.Format(workspaceId), ShortId.Format(sessionId), cancellationToken: ct);
        return found.HasValue ? found.Value : null;
    }

    /// <summary>The sessions a query finds, newest first.</summary>
    internal async Task<List<Session>> QueryAsync(string filter, CancellationToken ct)
    {
        var table = await storage.Table(TableNames.Sessions);
        var sessions = new List<Session>();
        await foreach (var entity in table.QueryAsync<SessionEntity>(filter, cancellationToken: ct))
        {
            sessions.Add(entity.ToSession());
        }

        return sessions.OrderByDescending(s => s.CreatedAt).ToList();
    }

    internal static string KindName(SessionKind kind) => KonduktorJson.Name(kind);

    internal static string StatusName(SessionStatus status) => KonduktorJson.Name(status);

    /// <summary>Adds a new session row (its ETag kept for the next change).</summary>
    internal async Task AddAsync(SessionEntity session, CancellationToken ct)
    {
        var table = await storage.Table(TableNames.Sessions);
        session.ETag = (await table.AddEntityAsync(session, ct)).Headers.ETag ?? default;
    }

    /// <summary>Removes a session that never started, so the task's history holds only sessions that were.</summary>
    internal async Task RemoveUnstartedAsync(SessionEntity session)
    {
        var table = await storage.Table(TableNames.Sessions);
        await table.DeleteEntityAsync(session.PartitionKey, session.RowKey, ETag.All, CancellationToken.None);
    }

    /// <summary>Writes a change to a session this caller has just read; the state machine makes a lost race a conflict.</summary>
    internal async Task<Result<Session>> UpdateAsync(SessionEntity session, Action<SessionEntity> change, CancellationToken ct, string lostRace = "was changed at the same time; report again")
    {
        change(session);
        var table = await storage.Table(TableNames.Sessions);
        try
        {
            var response = await table.UpdateEntityAsync(session, session.ETag, TableUpdateMode.Replace, ct);
            session.ETag = response.Headers.ETag ?? default;
        }
        catch (RequestFailedException e) when (Optimistic.IsLostRace(e))
        {
            return new Conflict($"session {ShortId.Of(session.Id)} {lostRace}");
        }

        signals.Pulse(session.Id);
        return session.ToSession();
    }

    /// <summary>Changes the card of the session's task (the session's state on it first); a task deleted meanwhile is no failure.</summary>
    internal async Task UpdateTaskCardAsync(SessionEntity session, Action<TaskEntity> change, CancellationToken ct)
    {
        if (session.TaskId is null)
        {
            return;
        }

        var result = await tasks.ChangeAsync(session.WorkspaceId, Guid.Parse(session.TaskId), task =>
        {
            if (task.LatestSessionId == session.RowKey)
            {
                task.LatestSessionStatus = StatusName(session.StatusValue);
                task.LatestSessionError = session.Error;
            }

            change(task);
            return Task.FromResult<Result<TaskEdit>>(TaskEdit.Save);
        }, ct);
        if (result.Failure is { } failure and not NotFound)
        {
            logger.LogWarning("Task {TaskId} card not updated for session {SessionId}: {Reason}", session.TaskId, session.Id, failure.Message);
        }
    }
}

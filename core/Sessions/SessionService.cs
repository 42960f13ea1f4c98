using System.Text.Json;
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
/// Sessions from run to outcome: one active session per task, a claim only one runner can win, state changes
/// only along <see cref="SessionStates"/>, and the task's card (latest session, cost) kept in step.
/// </summary>
public sealed partial class SessionService(
    WorkspaceService workspaces,
    AgentSecrets secrets,
    TaskService tasks,
    Projects.ProjectService projects,
    StorageClients storage,
    SessionJobs queue,
    ActiveSessions active,
    Runners.RunnerService runners,
    GitHub.GitHubWork gitHubWork,
    SessionSignals signals,
    Quota.AccountLimits limits,
    Quota.QuotaOptions quota,
    Quota.UsageLedger usage,
    TimeProvider clock,
    IIdGenerator ids,
    ILogger<SessionService> logger)
{
    private const int MaxErrorLength = 4000;
    private const int MaxMessageLength = 20_000;

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

    internal static string KindName(SessionKind kind) => KonduktorJson.Name(kind);

    internal static string StatusName(SessionStatus status) => KonduktorJson.Name(status);

    /// <summary>Writes a change to a session this caller has just read; the state machine makes a lost race a conflict.</summary>
    private async Task<Result<Session>> UpdateSessionAsync(SessionEntity session, Action<SessionEntity> change, CancellationToken ct)
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
            return new Conflict($"session {ShortId.Of(session.Id)} was changed at the same time; report again");
        }

        signals.Pulse(session.Id);
        return session.ToSession();
    }

    private async Task UpdateTaskCardAsync(SessionEntity session, Action<TaskEntity> change, CancellationToken ct)
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

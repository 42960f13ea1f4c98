using Azure.Data.Tables;
using Konduktor.Core.Auth;
using Konduktor.Core.Results;
using Konduktor.Core.Storage;
using Konduktor.Core.Tasks;
using Konduktor.Core.Workspaces;

namespace Konduktor.Core.Sessions;

/// <summary>Reading sessions, and an agent's session token turned into its principal.</summary>
public sealed class SessionReads(SessionStore store, WorkspaceService workspaces, TaskService tasks)
{
    /// <summary>A scheduled agent's sessions, newest first (its runs, their state and cost).</summary>
    internal async Task<IReadOnlyList<Session>> AgentSessionsAsync(Guid workspaceId, string agentName, CancellationToken ct) =>
        await store.QueryAsync(TableClient.CreateQueryFilter($"PartitionKey eq {ShortId.Format(workspaceId)} and AgentName eq {agentName}"), ct);

    public async Task<Result<Session>> GetAsync(Principal caller, string workspaceRef, string sessionRef, CancellationToken ct)
    {
        var found = await store.ResolveAsync(caller, workspaceRef, sessionRef, ct);
        return found.Map(s => s.ToSession());
    }

    public async Task<Result<IReadOnlyList<Session>>> ListAsync(Principal caller, string workspaceRef, SessionFilter filter, CancellationToken ct)
    {
        if (!(await workspaces.ResolveAsync(caller, workspaceRef, ct)).TryGet(out var workspace, out var failure))
        {
            return failure;
        }

        var query = TableClient.CreateQueryFilter($"PartitionKey eq {ShortId.Format(workspace.Id)}");
        if (filter.Task is not null)
        {
            if (!(await tasks.FindAsync(caller, workspaceRef, filter.Task, ct)).TryGet(out var task, out failure))
            {
                return failure;
            }

            query += " and " + TableClient.CreateQueryFilter($"TaskId eq {task.Entity.RowKey}");
        }

        if (filter.Status is { } status)
        {
            query += " and " + TableClient.CreateQueryFilter($"Status eq {status.ToString()}");
        }

        return (await store.QueryAsync(query, ct)).Take(Math.Clamp(filter.Limit, 1, 1000)).ToList();
    }

    /// <summary>Authenticates an agent's session token: valid for its workspace while the session is active.</summary>
    public async Task<Result<Principal>> AuthenticateAsync(string token, CancellationToken ct)
    {
        var parts = Secrets.IdsIn(token, Secrets.SessionPrefix, 2);
        if (parts.Length == 2 && await store.FindEntityAsync(parts[0], parts[1], ct) is { } session && Secrets.Matches(token, session.TokenHash))
        {
            return SessionStates.IsActive(session.StatusValue)
                ? new Principal(PrincipalKind.Session, session.AgentName is { } agent ? $"agent {agent} (session {ShortId.Of(session.Id)})" : $"session {ShortId.Of(session.Id)}", session.WorkspaceId, session.Id)
                : new Unauthorized($"session {ShortId.Of(session.Id)} has ended; its token is no longer valid");
        }

        return new Unauthorized("this session token is not valid");
    }
}

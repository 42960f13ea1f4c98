using Azure.Data.Tables;
using Konduktor.Core.Auth;
using Konduktor.Core.Json;
using Konduktor.Core.Quota;
using Konduktor.Core.Results;
using Konduktor.Core.Runners;
using Konduktor.Core.Storage;
using Konduktor.Core.Tasks;
using Konduktor.Core.Workspaces;
using Microsoft.Extensions.Logging;

namespace Konduktor.Core.Sessions;

/// <summary>The claim only one runner wins, and the job it gets: the task told as it is now, its scripts, secrets and budget.</summary>
public sealed class SessionClaims(
    SessionStore store,
    SessionEnds ends,
    SessionBudgets budgets,
    WorkspaceService workspaces,
    TaskService tasks,
    AgentSecrets secrets,
    ActiveSessions active,
    RunnerService runners,
    AccountLimits limits,
    StorageClients storage,
    TimeProvider clock,
    ILogger<SessionClaims> logger)
{
    /// <summary>The conditional <c>queued → claimed</c> update: of any number of runners, exactly one wins.</summary>
    public async Task<Result<SessionJob>> ClaimAsync(Principal caller, Guid workspaceId, Guid sessionId, CancellationToken ct)
    {
        if (caller is not { Kind: PrincipalKind.Runner, Id: { } runnerId })
        {
            return new Forbidden("only a registered runner can claim a session");
        }

        if (await store.FindEntityAsync(workspaceId, sessionId, ct) is not { } session)
        {
            return new NotFound($"no session matches '{ShortId.Of(sessionId)}'");
        }

        if (session.StatusValue != SessionStatus.Queued)
        {
            return new Conflict($"session {ShortId.Of(sessionId)} is {SessionStore.StatusName(session.StatusValue)}{(session.RunnerName is null ? "" : $" (runner {session.RunnerName})")}; it cannot be claimed");
        }

        var workspace = await workspaces.FindByIdAsync(workspaceId, ct);
        var task = session.TaskId is null ? null : (await tasks.FindAsync(Principal.LocalUser, ShortId.Format(workspaceId), session.TaskId, ct)).Value.Entity;
        if (workspace is null || (task is null && session.AgentName is null))
        {
            await ends.FinishAsync(session, new SessionReport { Status = SessionStatus.Failed, Error = "its workspace or task was deleted before it started" }, ct);
            return new Conflict($"session {ShortId.Of(sessionId)} cannot run: its workspace or task no longer exists");
        }

        // A runner whose account is at its usage limit starts nothing: the job goes back to wait for another runner, or the reset.
        var account = await runners.AccountOfAsync(runnerId, ct);
        if (await limits.RejectionOfAsync(account, ct) is { } limit)
        {
            return new Throttled($"account {limit.Account} is at its usage limit until {limit.Until:u}; runner {caller.Name} starts no session before then", limit.Until);
        }

        var token = Secrets.NewSessionToken(workspaceId, sessionId);
        var claimed = await store.UpdateAsync(session, s =>
        {
            s.StatusValue = SessionStatus.Claimed;
            s.Account = account;
            s.RunnerId = ShortId.Format(runnerId);
            s.RunnerName = caller.Name;
            s.ClaimedAt = clock.GetUtcNow();
            s.TokenHash = Secrets.Hash(token);
        }, ct, lostRace: "was claimed by another runner");
        if (claimed.Failure is { } lost)
        {
            return lost;
        }

        await active.UpsertAsync(session, null, ct);
        logger.LogInformation("Session {SessionId} claimed by runner {RunnerName}", sessionId, caller.Name);
        return await JobAsync(session, workspace, task, token, ct);
    }

    /// <summary>
    /// What readies the worktree is the same for every kind of session: the workspace's scripts and secrets; and every
    /// run may spend only what its budgets have left.
    /// </summary>
    private async Task<SessionJob> JobAsync(SessionEntity session, Workspace workspace, TaskEntity? task, string token, CancellationToken ct)
    {
        var job = task is null ? AgentJob(session, workspace, token) : await TaskJobAsync(session, workspace, task, token, ct);
        return job with
        {
            MaxBudgetUsd = await budgets.RunBudgetAsync(workspace, task, job.MaxBudgetUsd, session.AgentName, session.AgentDailyBudgetUsd is { } daily ? (decimal)daily : null, ct),
            Secrets = await secrets.ValuesAsync(workspace.Id, ct),
            SetupScript = workspace.Config.SetupScript,
            CleanupScript = workspace.Config.CleanupScript,
            SetupTimeoutMinutes = workspace.Config.SetupTimeoutMinutes,
            AllowedHosts = workspace.Config.AllowedHosts,
        };
    }

    /// <summary>A scheduled agent's run: its prompt, model and limits were fixed when it was queued.</summary>
    private static SessionJob AgentJob(SessionEntity session, Workspace workspace, string token) => new()
    {
        Session = session.ToSession(),
        WorkspaceName = workspace.Name,
        Repository = workspace.Repository,
        DefaultBranch = workspace.DefaultBranch,
        Branch = session.Branch!,
        Prompt = SessionPrompts.ForAgent(session.AgentName!, session.Message ?? "", workspace.DefaultBranch),
        SystemPrompt = workspace.Config.SystemPrompt,
        PermissionMode = workspace.Config.PermissionMode,
        Model = session.Model ?? workspace.Config.Model,
        Token = token,
        FreshWorktree = true,
        MaxTurns = session.MaxTurns,
        MaxBudgetUsd = session.MaxBudgetUsd is { } budget ? (decimal)budget : null,
    };

    /// <summary>A task's run, resume or fix: the task told as it is now, and what a lost conversation would need.</summary>
    private async Task<SessionJob> TaskJobAsync(SessionEntity session, Workspace workspace, TaskEntity task, string token, CancellationToken ct)
    {
        var description = await tasks.DescriptionOfAsync(task, ct);
        var branch = session.Branch ?? task.Branch ?? SessionPrompts.BranchFor(Guid.Parse(task.RowKey), task.Title);
        // A session that waited for quota continues its own conversation, whatever it was started for.
        var continues = session.Continuations > 0;
        var resumes = session.KindValue != SessionKind.Task || continues;
        var taskId = Guid.Parse(task.RowKey);
        return new SessionJob
        {
            Session = session.ToSession(),
            WorkspaceName = workspace.Name,
            Repository = workspace.Repository,
            DefaultBranch = workspace.DefaultBranch,
            Branch = branch,
            Prompt = continues
                ? SessionPrompts.AfterUsageLimit(taskId, task.Title, session.ContinueWith)
                : SessionPrompts.For(session.KindValue, taskId, task.Title, description, branch, session.Message, workspace.Config.PullRequests),
            SystemPrompt = workspace.Config.SystemPrompt,
            PermissionMode = workspace.Config.PermissionMode,
            Model = workspace.Config.Model,
            ResumeClaudeSessionId = resumes ? session.ClaudeSessionId : null,
            PromptWithoutConversation = resumes
                ? SessionPrompts.ForLostConversation(session.KindValue, taskId, task.Title, description, branch, continues ? session.ContinueWith ?? session.Message : session.Message, await LastWordsAsync(session, ct), workspace.Config.PullRequests)
                : null,
            EarlierConversationCostUsd = resumes && task.ConversationCostUsd is { } earlier ? (decimal)earlier : null,
            Token = token,
        };
    }

    /// <summary>What the task's latest session that said anything said at its end: a lost conversation's summary.</summary>
    private async Task<string?> LastWordsAsync(SessionEntity resuming, CancellationToken ct)
    {
        var table = await storage.Table(TableNames.Sessions);
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {resuming.PartitionKey} and TaskId eq {resuming.TaskId}");
        SessionEntity? latest = null;
        await foreach (var earlier in table.QueryAsync<SessionEntity>(filter, select: ["RowKey", "CreatedAt", "Outcome"], cancellationToken: ct))
        {
            if (earlier.RowKey != resuming.RowKey && earlier.Outcome is not null && (latest is null || earlier.CreatedAt > latest.CreatedAt))
            {
                latest = earlier;
            }
        }

        return latest?.Outcome is { } outcome ? KonduktorJson.Deserialize<SessionOutcome>(outcome)?.Result : null;
    }
}

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

/// <summary>The runner's side of a session: the claim only one runner wins, its reports and outcome, jobs it gives up on, its worktrees' tasks.</summary>
public sealed partial class SessionService
{
    /// <summary>
    /// A runner gives up on a job message delivered too many times: the message goes to the poison queue and, if its
    /// session is still waiting for a runner, the session fails with the reason.
    /// </summary>
    public async Task<Result<Session>> PoisonAsync(Principal caller, PoisonedJob job, CancellationToken ct)
    {
        if (job.MessageText.Length > SessionJobs.MaxMessageChars || job.Reason.Length > MaxErrorLength)
        {
            return new TooLarge($"a job message is at most {SessionJobs.MaxMessageChars:N0} characters and its reason {MaxErrorLength:N0}; this is not one of Konduktor's jobs — drop it");
        }

        if (await FindEntityAsync(job.WorkspaceId, job.SessionId, ct) is not { } session)
        {
            return new NotFound($"no session matches '{ShortId.Of(job.SessionId)}'; drop its message");
        }

        await queue.PoisonAsync(job.MessageText, ct);
        logger.LogWarning("Job of session {SessionId} poisoned after {Count} deliveries: {Reason}", job.SessionId, job.DequeueCount, job.Reason);
        return session.StatusValue == SessionStatus.Queued
            ? await FinishAsync(session, new SessionReport { Status = SessionStatus.Failed, Error = $"its job message was delivered {job.DequeueCount} times without being run ({job.Reason}); it was moved to the poison queue — run the task again" }, ct)
            : session.ToSession();
    }

    /// <summary>The board column of each task a runner keeps a worktree for (null when the task is gone): its cleanup.</summary>
    public async Task<Result<IReadOnlyList<WorktreeTask>>> TaskStatesAsync(Principal caller, WorktreeTasks query, CancellationToken ct)
    {
        if (query.Tasks.Count > 500)
        {
            return new TooLarge("at most 500 tasks per question");
        }

        var answers = new List<WorktreeTask>();
        foreach (var task in query.Tasks)
        {
            answers.Add(task with { Status = await tasks.StatusOfAsync(task.WorkspaceId, task.TaskId, ct) });
        }

        return answers;
    }

    /// <summary>The conditional <c>queued → claimed</c> update: of any number of runners, exactly one wins.</summary>
    public async Task<Result<SessionJob>> ClaimAsync(Principal caller, Guid workspaceId, Guid sessionId, CancellationToken ct)
    {
        if (caller is not { Kind: PrincipalKind.Runner, Id: { } runnerId })
        {
            return new Forbidden("only a registered runner can claim a session");
        }

        if (await FindEntityAsync(workspaceId, sessionId, ct) is not { } session)
        {
            return new NotFound($"no session matches '{ShortId.Of(sessionId)}'");
        }

        if (session.StatusValue != SessionStatus.Queued)
        {
            return new Conflict($"session {ShortId.Of(sessionId)} is {StatusName(session.StatusValue)}{(session.RunnerName is null ? "" : $" (runner {session.RunnerName})")}; it cannot be claimed");
        }

        var workspace = await workspaces.FindByIdAsync(workspaceId, ct);
        var task = session.TaskId is null ? default : await tasks.FindAsync(Principal.LocalUser, ShortId.Format(workspaceId), session.TaskId, ct);
        var taskEntity = task.Value.Entity;
        if (workspace is null || (taskEntity is null && session.AgentName is null))
        {
            await FinishAsync(session, new SessionReport { Status = SessionStatus.Failed, Error = "its workspace or task was deleted before it started" }, ct);
            return new Conflict($"session {ShortId.Of(sessionId)} cannot run: its workspace or task no longer exists");
        }

        // A runner whose account is at its usage limit starts nothing: the job goes back to wait for another runner, or the reset.
        var account = await runners.AccountOfAsync(runnerId, ct);
        if (await limits.RejectionOfAsync(account, ct) is { } limit)
        {
            return new Throttled($"account {limit.Account} is at its usage limit until {limit.Until:u}; runner {caller.Name} starts no session before then", limit.Until);
        }

        var token = Secrets.NewSessionToken(workspaceId, sessionId);
        session.StatusValue = SessionStatus.Claimed;
        session.Account = account;
        session.RunnerId = ShortId.Format(runnerId);
        session.RunnerName = caller.Name;
        session.ClaimedAt = clock.GetUtcNow();
        session.TokenHash = Secrets.Hash(token);
        var table = await storage.Table(TableNames.Sessions);
        try
        {
            var response = await table.UpdateEntityAsync(session, session.ETag, TableUpdateMode.Replace, ct);
            session.ETag = response.Headers.ETag ?? default;
        }
        catch (RequestFailedException e) when (Optimistic.IsLostRace(e))
        {
            return new Conflict($"session {ShortId.Of(sessionId)} was claimed by another runner");
        }

        await active.UpsertAsync(session, null, ct);
        logger.LogInformation("Session {SessionId} claimed by runner {RunnerName}", sessionId, caller.Name);
        var job = taskEntity is null ? AgentJob(session, workspace, token) : await TaskJobAsync(session, workspace, taskEntity, token, ct);
        // What readies the worktree is the same for every kind of session: the workspace's scripts and secrets; and
        // every run may spend only what its budgets have left.
        return job with
        {
            MaxBudgetUsd = await RunBudgetAsync(workspace, taskEntity, job.MaxBudgetUsd, session.AgentName, session.AgentDailyBudgetUsd is { } daily ? (decimal)daily : null, ct),
            Secrets = await secrets.ValuesAsync(workspace.Id, ct),
            SetupScript = workspace.Config.SetupScript,
            CleanupScript = workspace.Config.CleanupScript,
            SetupTimeoutMinutes = workspace.Config.SetupTimeoutMinutes,
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

    /// <summary>A runner reports a session it runs: started, its Claude session id, or its outcome.</summary>
    public async Task<Result<Session>> ReportAsync(Principal caller, Guid workspaceId, Guid sessionId, SessionReport report, CancellationToken ct)
    {
        if (!(await FindOwnedAsync(caller, workspaceId, sessionId, ct)).TryGet(out var session, out var failure))
        {
            return failure;
        }

        if (report.Error is { Length: > MaxErrorLength })
        {
            return new Invalid($"the report's error is longer than {MaxErrorLength:N0} characters", "error");
        }

        // A conversation id names files on runners and blobs in storage: a UUID or nothing, whatever an agent printed.
        if (report.ClaudeSessionId is { } conversation && !Guid.TryParseExact(conversation, "D", out _))
        {
            return new Invalid("a Claude session id is a UUID (as Claude Code makes them); this one is not", "claudeSessionId");
        }

        // An ended session keeps its end: the same final report again is a retry; anything else comes too late (the
        // janitor orphaned the session while its runner was out of reach) and changes nothing.
        if (SessionStates.IsFinal(session.StatusValue))
        {
            return session.StatusValue == report.Status && session.LastSequence == report.LastSequence
                ? session.ToSession()
                : new Conflict($"session {ShortId.Of(sessionId)} already ended {StatusName(session.StatusValue)}{(session.Error is { } why ? $" ({why})" : "")}; a later report does not change it");
        }

        // A warning, a lift or a rejection of the runner's account, for every runner using it.
        if (report.UsageLimit is { } usage)
        {
            await limits.RecordAsync(session.Account, usage, ct);
        }

        if (session.StatusValue == report.Status)
        {
            var same = await UpdateSessionAsync(session, s => s.ClaudeSessionId = report.ClaudeSessionId ?? s.ClaudeSessionId, ct);
            if (same.IsSuccess && report.ClaudeSessionId is not null)
            {
                await UpdateTaskCardAsync(session, task => task.ClaudeSessionId = report.ClaudeSessionId, ct);
            }

            return same;
        }

        if (!SessionStates.CanMove(session.StatusValue, report.Status))
        {
            return new Conflict($"session {ShortId.Of(sessionId)} is {StatusName(session.StatusValue)}; it cannot become {StatusName(report.Status)}");
        }

        if (SessionStates.IsFinal(report.Status))
        {
            return await FinishAsync(session, report, ct);
        }

        if (report.Status == SessionStatus.WaitingForQuota)
        {
            return await ParkAsync(session, report, ct);
        }

        var updated = await UpdateSessionAsync(session, s =>
        {
            s.StatusValue = report.Status;
            s.ClaudeSessionId = report.ClaudeSessionId ?? s.ClaudeSessionId;
            s.StartedAt = report.Status == SessionStatus.Running ? clock.GetUtcNow() : s.StartedAt;
        }, ct);
        await UpdateTaskCardAsync(session, task => task.ClaudeSessionId = report.ClaudeSessionId ?? task.ClaudeSessionId, ct);
        return updated;
    }

    private async Task<Result<Session>> FinishAsync(SessionEntity session, SessionReport report, CancellationToken ct)
    {
        var updated = await UpdateSessionAsync(session, s =>
        {
            s.StatusValue = report.Status;
            s.ClaudeSessionId = report.ClaudeSessionId ?? s.ClaudeSessionId;
            s.EndedAt = clock.GetUtcNow();
            // A session stopped while it waited for quota keeps what its run left: exit code, outcome, last log event.
            s.ExitCode = report.ExitCode ?? s.ExitCode;
            s.Error = report.Error;
            s.Outcome = report.Outcome is null ? s.Outcome : KonduktorJson.Serialize(report.Outcome);
            s.LastSequence = report.LastSequence ?? s.LastSequence;
            s.TokenHash = null;
            s.QuotaResetsAt = s.ResumesAt = null;
        }, ct);
        if (updated.IsSuccess)
        {
            await UpdateTaskCardAsync(session, task =>
            {
                if (task.ActiveSessionId == session.RowKey)
                {
                    task.ActiveSessionId = null;
                    task.QuotaResetsAt = task.ResumesAt = null;
                }

                AddRun(task, report);
            }, ct);
            await AddUsageAsync(session, report, ct);
            await active.RemoveAsync(session.Id, CancellationToken.None);
            signals.Pulse(session.Id, final: true);
            await EnsurePullRequestAsync(session, report, ct);
            await StartPendingAutoFixAsync(session, ct);
            logger.LogInformation("Session {SessionId} ended {Status} (exit code {ExitCode})", session.Id, report.Status, report.ExitCode);
        }

        return updated;
    }

    /// <summary>What a run adds to its task's card: its conversation, cost and tokens.</summary>
    private static void AddRun(TaskEntity task, SessionReport report)
    {
        task.ClaudeSessionId = report.ClaudeSessionId ?? task.ClaudeSessionId;
        task.CostUsd += (double)(report.Outcome?.CostUsd ?? 0);
        task.ConversationCostUsd = report.Outcome?.ConversationCostUsd is { } total ? (double)total : task.ConversationCostUsd;
        task.InputTokens += report.Outcome?.InputTokens ?? 0;
        task.OutputTokens += report.Outcome?.OutputTokens ?? 0;
    }

    /// <summary>A task branch the session left with commits gets its pull request from the GitHub work queue (not here: it waits on GitHub).</summary>
    private async Task EnsurePullRequestAsync(SessionEntity ended, SessionReport report, CancellationToken ct)
    {
        if (ended.TaskId is null || report.CommitsAhead is not > 0)
        {
            return;
        }

        try
        {
            await gitHubWork.EnqueueAsync(new GitHub.GitHubWorkItem(GitHub.GitHubWorkKind.OpenPullRequest, ended.WorkspaceId, Guid.Parse(ended.TaskId)), ct);
        }
        catch (RequestFailedException e)
        {
            // The reconciler opens it on its next pass.
            logger.LogWarning(e, "Could not queue opening the pull request of task {TaskId}", ended.TaskId);
        }
    }

    /// <summary>An automatic fix that waited for this session: its turn now.</summary>
    private async Task StartPendingAutoFixAsync(SessionEntity ended, CancellationToken ct)
    {
        if (ended.TaskId is null || await workspaces.FindByIdAsync(ended.WorkspaceId, ct) is not { } workspace)
        {
            return;
        }

        PendingAutoFix? pending = null;
        await tasks.ChangeAsync(ended.WorkspaceId, Guid.Parse(ended.TaskId), task =>
        {
            pending = task.PendingAutoFix is { } json ? KonduktorJson.Deserialize<PendingAutoFix>(json) : null;
            task.PendingAutoFix = null;
            return Task.FromResult<Result<TaskEdit>>(pending is null ? TaskEdit.Keep : TaskEdit.Save);
        }, ct);
        if (pending is not null)
        {
            var result = await StartAutoFixAsync(Principal.Konduktor("auto-fix"), workspace, Guid.Parse(ended.TaskId), pending.Kind, pending.Prompt, workspace.Config.AutoFixLimit, ct);
            logger.LogInformation("After session {SessionId}: {Result}", ended.Id, result);
        }
    }
}

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

/// <summary>Starting sessions: a run, a resume, an automatic fix, a scheduled agent, a phase's ready tasks — each queued once, refused while one is active.</summary>
public sealed partial class SessionService
{
    /// <summary>Runs a task: a queued session, a job on the queue, the task In progress. Refused while a session of the task is active.</summary>
    public async Task<Result<Session>> RunTaskAsync(Principal caller, string workspaceRef, string taskRef, CancellationToken ct) =>
        await WithRunnerNoticeAsync(await StartAsync(caller, workspaceRef, taskRef, SessionKind.Task, null, ct), ct);

    /// <summary>
    /// Continues the task's Claude conversation in its worktree, with what the person adds. A session waiting for quota
    /// is the one that continues, now rather than at the reset.
    /// </summary>
    public async Task<Result<Session>> ResumeTaskAsync(Principal caller, string workspaceRef, string taskRef, string? message, CancellationToken ct) =>
        await WithRunnerNoticeAsync(await ParkedSessionOfAsync(caller, workspaceRef, taskRef, ct) is { } parked
            ? await ContinueParkedAsync(parked, message, caller.Name, ct)
            : await StartAsync(caller, workspaceRef, taskRef, SessionKind.Resume, message, ct), ct);

    /// <summary>A session queued by a person says so when no runner can take it now, rather than waiting silently.</summary>
    private async Task<Result<Session>> WithRunnerNoticeAsync(Result<Session> started, CancellationToken ct) =>
        started.TryGet(out var session, out var failure) ? session with { Notice = await runners.WhyNoRunnerIsReadyAsync(ct) } : failure;

    /// <summary>Queues a scheduled agent's run: no task, a worktree of the default branch; the prompt, model and limits fixed now.</summary>
    internal async Task<Session> StartAgentAsync(Principal caller, Workspace workspace, string agentName, string prompt, string? model, int? maxTurns, decimal? maxBudgetUsd, decimal? dailyBudgetUsd, CancellationToken ct)
    {
        var sessionId = ids.NewId();
        var session = new SessionEntity
        {
            PartitionKey = ShortId.Format(workspace.Id),
            RowKey = ShortId.Format(sessionId),
            AgentName = agentName,
            Kind = SessionKind.ScheduledAgent.ToString(),
            Status = SessionStatus.Queued.ToString(),
            Message = prompt,
            Branch = SessionPrompts.AgentBranch(agentName),
            Model = model,
            MaxTurns = maxTurns,
            MaxBudgetUsd = maxBudgetUsd is { } budget ? (double)budget : null,
            AgentDailyBudgetUsd = dailyBudgetUsd is { } daily ? (double)daily : null,
            CreatedAt = clock.GetUtcNow(),
        };
        var table = await storage.Table(TableNames.Sessions);
        session.ETag = (await table.AddEntityAsync(session, ct)).Headers.ETag ?? default;
        await QueueAsync(session, "it runs again when next due", ct);
        logger.LogInformation("Session {SessionId} queued for scheduled agent {Agent} by {Principal}", sessionId, agentName, caller.Name);
        return session.ToSession();
    }

    /// <summary>
    /// An automatic fix for a task: started now; or, while a session of the task runs, kept on the task and started
    /// when that session ends; or, past the workspace's limit in a row, not started and a note left on the task.
    /// </summary>
    public async Task<string> StartAutoFixAsync(Principal caller, Workspace workspace, Guid taskId, SessionKind kind, string prompt, int limit, CancellationToken ct)
    {
        var decision = "";
        var pending = KonduktorJson.Serialize(new PendingAutoFix(kind, prompt));
        var checkedTask = await tasks.ChangeAsync(workspace.Id, taskId, async task =>
        {
            if (task.ActiveSessionId is { } activeId && await FindEntityAsync(workspace.Id, Guid.Parse(activeId), ct) is { } running && SessionStates.IsActive(running.StatusValue))
            {
                task.PendingAutoFix = pending;
                decision = $"task {ShortId.Of(taskId)}: {KindName(kind)} waits for session {ShortId.Of(running.Id)} to end";
                return TaskEdit.Save;
            }

            if (task.AutoFixStreak >= limit)
            {
                task.Note = $"Automatic fixes stopped after {limit} attempt(s) in a row; the pull request needs a person. Run or resume the task to start again.";
                decision = $"task {ShortId.Of(taskId)}: auto-fix limit of {limit} reached; a note was left on the task";
                return TaskEdit.Save;
            }

            return TaskEdit.Keep;
        }, ct);
        if (!checkedTask.TryGet(out _, out var refused))
        {
            return $"task {ShortId.Of(taskId)}: no {KindName(kind)} session: {refused.Message}";
        }

        if (decision.Length > 0)
        {
            return decision;
        }

        var started = await StartAsync(caller, ShortId.Format(workspace.Id), ShortId.Format(taskId), kind, prompt, ct);
        return started.TryGet(out var session, out var failure)
            ? $"task {ShortId.Of(taskId)}: {KindName(kind)} session {session.ShortId} queued"
            : $"task {ShortId.Of(taskId)}: no {KindName(kind)} session: {failure.Message}";
    }

    /// <summary>Runs every task of a project's open phase that is not done or running; they run in parallel.</summary>
    public async Task<Result<IReadOnlyList<Session>>> RunReadyAsync(Principal caller, string workspaceRef, string projectRef, CancellationToken ct)
    {
        if (!(await projects.ReadyTasksAsync(caller, workspaceRef, projectRef, ct)).TryGet(out var ready, out var failure))
        {
            return failure;
        }

        var started = new List<Session>();
        foreach (var task in ready.Tasks)
        {
            if ((await RunTaskAsync(caller, ShortId.Format(ready.Workspace.Id), ShortId.Format(task.Id), ct)).TryGet(out var session, out _))
            {
                started.Add(session);
            }
        }

        return started;
    }

    internal async Task<Result<Session>> StartAsync(Principal caller, string workspaceRef, string taskRef, SessionKind kind, string? message, CancellationToken ct)
    {
        if (message is { Length: > MaxMessageLength })
        {
            return new TooLarge($"the message is {message.Length:N0} characters; the limit is {MaxMessageLength:N0}");
        }

        if (!(await tasks.FindAsync(caller, workspaceRef, taskRef, ct)).TryGet(out var found, out var failure))
        {
            return failure;
        }

        var (workspace, task) = found;
        if ((await projects.MayRunAsync(workspace, task, ct)).Failure is { } gated)
        {
            return gated;
        }

        if (await BudgetRefusalAsync(workspace, task, ct) is { } overBudget)
        {
            return overBudget;
        }

        // The session row comes first, so a concurrent run that finds the task pointing at it sees it active.
        var now = clock.GetUtcNow();
        var session = await AddQueuedAsync(workspace, task, kind, message, now, ct);
        var table = await storage.Table(TableNames.Sessions);

        string? resumeFrom = null;
        var changed = await tasks.ChangeAsync(workspace.Id, Guid.Parse(task.RowKey), async entity =>
        {
            if (entity.ActiveSessionId is { } activeId && activeId != session.RowKey
                && await FindEntityAsync(workspace.Id, Guid.Parse(activeId), ct) is { } active && SessionStates.IsActive(active.StatusValue))
            {
                var taskId = ShortId.Of(Guid.Parse(entity.RowKey));
                return active.StatusValue == SessionStatus.WaitingForQuota
                    ? new Conflict($"task {taskId}'s session {ShortId.Of(active.Id)} waits for its account's usage limit to reset ({active.QuotaResetsAt:HH:mm} UTC); continue it now with `konduktor tasks resume {taskId}`, or stop it")
                    : new Conflict($"task {taskId} already has an active session {ShortId.Of(active.Id)} ({StatusName(active.StatusValue)}); stop it or wait for it to end");
            }

            resumeFrom = entity.ClaudeSessionId;
            if (kind != SessionKind.Task && resumeFrom is null)
            {
                return new Conflict($"task {ShortId.Of(Guid.Parse(entity.RowKey))} has no conversation to resume yet; run it first (`konduktor tasks run {ShortId.Of(Guid.Parse(entity.RowKey))}`)");
            }

            PointAt(entity, session, kind, workspace, now);
            return TaskEdit.Save;
        }, ct);
        resumeFrom = kind == SessionKind.Task ? null : resumeFrom;
        if (!changed.TryGet(out var taskEntity, out failure))
        {
            // Never started, never logged: the row goes, so the task's history holds only sessions that were.
            await table.DeleteEntityAsync(session.PartitionKey, session.RowKey, ETag.All, CancellationToken.None);
            return failure;
        }

        if (resumeFrom is not null || session.Branch != taskEntity.Branch)
        {
            session.ClaudeSessionId = resumeFrom;
            session.Branch = taskEntity.Branch;
            var updated = await table.UpdateEntityAsync(session, session.ETag, TableUpdateMode.Replace, ct);
            session.ETag = updated.Headers.ETag ?? default;
        }

        await QueueAsync(session, "run the task again", ct);
        logger.LogInformation("Session {SessionId} ({Kind}) queued for task {TaskId} by {Principal}", session.RowKey, kind, taskEntity.RowKey, caller.Name);
        return session.ToSession();
    }

    private async Task<SessionEntity> AddQueuedAsync(Workspace workspace, TaskEntity task, SessionKind kind, string? message, DateTimeOffset now, CancellationToken ct)
    {
        var session = new SessionEntity
        {
            PartitionKey = ShortId.Format(workspace.Id),
            RowKey = ShortId.Format(ids.NewId()),
            TaskId = task.RowKey,
            Kind = kind.ToString(),
            Status = SessionStatus.Queued.ToString(),
            Message = message,
            Branch = task.Branch ?? SessionPrompts.BranchFor(Guid.Parse(task.RowKey), task.Title),
            CreatedAt = now,
        };
        var table = await storage.Table(TableNames.Sessions);
        var added = await table.AddEntityAsync(session, ct);
        session.ETag = added.Headers.ETag ?? default;
        return session;
    }

    /// <summary>The task's card points at its new session; a run or resume puts it in progress (not while its PR is open).</summary>
    private static void PointAt(TaskEntity entity, SessionEntity session, SessionKind kind, Workspace workspace, DateTimeOffset now)
    {
        var fix = kind is SessionKind.AutoFixCi or SessionKind.AutoFixConflicts or SessionKind.AutoFixReview;
        entity.Branch ??= session.Branch;
        entity.ActiveSessionId = entity.LatestSessionId = session.RowKey;
        entity.LatestSessionStatus = StatusName(SessionStatus.Queued);
        entity.SessionCount++;
        entity.AutoFixStreak = fix ? entity.AutoFixStreak + 1 : 0;
        entity.Note = fix ? entity.Note : null;
        entity.PendingAutoFix = null;
        if (kind is SessionKind.Task or SessionKind.Resume && workspace.FindColumn(BoardColumns.InProgress) is { } inProgress
            && entity.Status != inProgress && entity.Status != workspace.FindColumn(BoardColumns.PrSubmitted))
        {
            entity.Status = inProgress;
            entity.Rank = TaskService.RankAt(now);
        }
    }

    /// <summary>Indexes the session as active and puts its job on the queue; if the queue refuses, the session fails (it never ran).</summary>
    private async Task QueueAsync(SessionEntity session, string whatNext, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        await active.UpsertAsync(session, row => (row.EnqueuedAt, row.EnqueueCount) = (now, 1), ct);
        try
        {
            await queue.EnqueueAsync(session.WorkspaceId, session.Id, ct);
        }
        catch (RequestFailedException e)
        {
            logger.LogError(e, "Could not queue session {SessionId}; marking it failed", session.Id);
            await FinishAsync(session, new SessionReport { Status = SessionStatus.Failed, Error = $"the job could not be put on the queue; {whatNext}" }, CancellationToken.None);
            throw;
        }
    }
}

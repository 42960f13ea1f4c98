using Azure;
using Konduktor.Core.Auth;
using Konduktor.Core.Json;
using Konduktor.Core.Projects;
using Konduktor.Core.Results;
using Konduktor.Core.Runners;
using Konduktor.Core.Tasks;
using Konduktor.Core.Workspaces;
using Microsoft.Extensions.Logging;

namespace Konduktor.Core.Sessions;

/// <summary>
/// Starting sessions: a run, a resume, an automatic fix, a scheduled agent, a phase's ready tasks, a session that
/// waited for quota going on — each queued once, refused while one of the task is active.
/// </summary>
public sealed class SessionStarts(
    SessionStore store,
    SessionEnds ends,
    SessionBudgets budgets,
    TaskService tasks,
    TaskDependencies dependencies,
    ProjectService projects,
    SessionJobs queue,
    ActiveSessions active,
    RunnerService runners,
    TimeProvider clock,
    IIdGenerator ids,
    ILogger<SessionStarts> logger)
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
            StartedBy = caller.Name,
            Branch = SessionPrompts.AgentBranch(agentName),
            Model = model,
            MaxTurns = maxTurns,
            MaxBudgetUsd = maxBudgetUsd is { } budget ? (double)budget : null,
            AgentDailyBudgetUsd = dailyBudgetUsd is { } daily ? (double)daily : null,
            CreatedAt = clock.GetUtcNow(),
        };
        await store.AddAsync(session, ct);
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
            if (task.ActiveSessionId is { } activeId && await store.FindEntityAsync(workspace.Id, Guid.Parse(activeId), ct) is { } running && SessionStates.IsActive(running.StatusValue))
            {
                task.PendingAutoFix = pending;
                decision = $"task {ShortId.Of(taskId)}: {SessionStore.KindName(kind)} waits for session {ShortId.Of(running.Id)} to end";
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
            return $"task {ShortId.Of(taskId)}: no {SessionStore.KindName(kind)} session: {refused.Message}";
        }

        if (decision.Length > 0)
        {
            return decision;
        }

        var started = await StartAsync(caller, ShortId.Format(workspace.Id), ShortId.Format(taskId), kind, prompt, ct);
        return started.TryGet(out var session, out var failure)
            ? $"task {ShortId.Of(taskId)}: {SessionStore.KindName(kind)} session {session.ShortId} queued"
            : $"task {ShortId.Of(taskId)}: no {SessionStore.KindName(kind)} session: {failure.Message}";
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

    /// <summary>
    /// A session that waited for quota goes back on the queue to continue its conversation: at its reset (the janitor),
    /// or now, by hand, with what the person adds.
    /// </summary>
    internal async Task<Result<Session>> ContinueParkedAsync(SessionEntity session, string? message, string by, CancellationToken ct)
    {
        if (message is { Length: > SessionStore.MaxMessageLength })
        {
            return MessageTooLong(message);
        }

        if (!SessionStates.CanMove(session.StatusValue, SessionStatus.Queued))
        {
            return new Conflict($"session {ShortId.Of(session.Id)} is {SessionStore.StatusName(session.StatusValue)}; only a session waiting for quota continues");
        }

        var continued = await store.UpdateAsync(session, s =>
        {
            s.StatusValue = SessionStatus.Queued;
            s.Continuations++;
            s.ContinueWith = message;
            s.QuotaResetsAt = s.ResumesAt = null;
            s.RunnerId = null;
            s.RunnerName = null;
            s.ClaimedAt = null;
            s.StopRequestedAt = null;
        }, ct);
        if (!continued.IsSuccess)
        {
            return continued;
        }

        await store.UpdateTaskCardAsync(session, task => task.QuotaResetsAt = task.ResumesAt = null, ct);
        await QueueAsync(session, "resume the task", ct);
        logger.LogInformation("Session {SessionId} continues after waiting for quota ({By})", session.Id, by);
        return continued;
    }

    /// <summary>The task's session that waits for quota, if it has one.</summary>
    private async Task<SessionEntity?> ParkedSessionOfAsync(Principal caller, string workspaceRef, string taskRef, CancellationToken ct) =>
        (await tasks.FindAsync(caller, workspaceRef, taskRef, ct)).Value is { Entity.ActiveSessionId: { } activeId } found
        && await store.FindEntityAsync(found.Workspace.Id, Guid.Parse(activeId), ct) is { StatusValue: SessionStatus.WaitingForQuota } parked
            ? parked
            : null;

    /// <summary>An auto-run found its task started already (by another host, a redelivered message, or a person): nothing to do.</summary>
    internal static readonly Conflict AutoRunStarted = new("the task has started already: it no longer waits to start by itself");

    /// <summary>Starts a task marked to run by itself, once: the mark is cleared in the same write that points the task at its session.</summary>
    internal Task<Result<Session>> StartAutoRunAsync(Principal caller, Workspace workspace, Guid taskId, CancellationToken ct) =>
        StartAsync(caller, ShortId.Format(workspace.Id), ShortId.Format(taskId), SessionKind.Task, null, ct, autoRun: true);

    internal async Task<Result<Session>> StartAsync(Principal caller, string workspaceRef, string taskRef, SessionKind kind, string? message, CancellationToken ct, bool autoRun = false)
    {
        if (message is { Length: > SessionStore.MaxMessageLength })
        {
            return MessageTooLong(message);
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

        if (kind is SessionKind.Task or SessionKind.Resume && (await dependencies.MayRunAsync(task, ct)).Failure is { } waiting)
        {
            return waiting;
        }

        if (await budgets.RefusalAsync(workspace, task, ct) is { } overBudget)
        {
            return overBudget;
        }

        // The session row comes first, so a concurrent run that finds the task pointing at it sees it active.
        var now = clock.GetUtcNow();
        var session = NewTaskSession(workspace, task, kind, message, caller.Name, now);
        await store.AddAsync(session, ct);
        string? resumeFrom = null;
        var changed = await tasks.ChangeAsync(workspace.Id, Guid.Parse(task.RowKey), async entity =>
        {
            if (autoRun && !entity.AutoRun)
            {
                return AutoRunStarted;
            }

            if (await RefusalAsync(entity, session, kind, workspace, ct) is { } refusal)
            {
                return refusal;
            }

            resumeFrom = kind == SessionKind.Task ? null : entity.ClaudeSessionId;
            PointAt(entity, session, kind, workspace, now);
            return TaskEdit.Save;
        }, ct);
        if (!changed.TryGet(out var taskEntity, out failure))
        {
            await store.RemoveUnstartedAsync(session);
            return failure;
        }

        if (resumeFrom is not null || session.Branch != taskEntity.Branch)
        {
            await store.UpdateAsync(session, s => (s.ClaudeSessionId, s.Branch) = (resumeFrom, taskEntity.Branch), ct);
        }

        await QueueAsync(session, "run the task again", ct);
        logger.LogInformation("Session {SessionId} ({Kind}) queued for task {TaskId} by {Principal}", session.RowKey, kind, taskEntity.RowKey, caller.Name);
        return session.ToSession();
    }

    private static TooLarge MessageTooLong(string message) =>
        new($"the message is {message.Length:N0} characters; the limit is {SessionStore.MaxMessageLength:N0}");

    /// <summary>Why the task may not start this session: another of its sessions is active, or there is no conversation to resume.</summary>
    private async Task<Conflict?> RefusalAsync(TaskEntity entity, SessionEntity session, SessionKind kind, Workspace workspace, CancellationToken ct)
    {
        var taskId = ShortId.Of(Guid.Parse(entity.RowKey));
        if (entity.ActiveSessionId is { } activeId && activeId != session.RowKey
            && await store.FindEntityAsync(workspace.Id, Guid.Parse(activeId), ct) is { } running && SessionStates.IsActive(running.StatusValue))
        {
            return running.StatusValue == SessionStatus.WaitingForQuota
                ? new Conflict($"task {taskId}'s session {ShortId.Of(running.Id)} waits for its account's usage limit to reset ({running.QuotaResetsAt:HH:mm} UTC); continue it now with `konduktor tasks resume {taskId}`, or stop it")
                : new Conflict($"task {taskId} already has an active session {ShortId.Of(running.Id)} ({SessionStore.StatusName(running.StatusValue)}); stop it or wait for it to end");
        }

        return kind != SessionKind.Task && entity.ClaudeSessionId is null
            ? new Conflict($"task {taskId} has no conversation to resume yet; run it first (`konduktor tasks run {taskId}`)")
            : null;
    }

    private SessionEntity NewTaskSession(Workspace workspace, TaskEntity task, SessionKind kind, string? message, string startedBy, DateTimeOffset now) => new()
    {
        PartitionKey = ShortId.Format(workspace.Id),
        RowKey = ShortId.Format(ids.NewId()),
        TaskId = task.RowKey,
        Kind = kind.ToString(),
        Status = SessionStatus.Queued.ToString(),
        Message = message,
        StartedBy = startedBy,
        Branch = task.Branch ?? SessionPrompts.BranchFor(Guid.Parse(task.RowKey), task.Title),
        CreatedAt = now,
    };

    /// <summary>The task's card points at its new session; a run or resume puts it in progress (not while its PR is open).</summary>
    private static void PointAt(TaskEntity entity, SessionEntity session, SessionKind kind, Workspace workspace, DateTimeOffset now)
    {
        var fix = kind is SessionKind.AutoFixCi or SessionKind.AutoFixConflicts or SessionKind.AutoFixReview;
        entity.Branch ??= session.Branch;
        entity.ActiveSessionId = entity.LatestSessionId = session.RowKey;
        entity.LatestSessionStatus = SessionStore.StatusName(SessionStatus.Queued);
        entity.LatestSessionError = null;
        entity.SessionCount++;
        entity.AutoFixStreak = fix ? entity.AutoFixStreak + 1 : 0;
        entity.Note = fix ? entity.Note : null;
        entity.PendingAutoFix = null;
        entity.AutoRun = kind == SessionKind.Task ? false : entity.AutoRun;
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
            await ends.FinishAsync(session, new SessionReport { Status = SessionStatus.Failed, Error = $"the job could not be put on the queue; {whatNext}" }, CancellationToken.None);
            throw;
        }
    }
}

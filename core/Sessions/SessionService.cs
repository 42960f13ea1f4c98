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
public sealed class SessionService(
    WorkspaceService workspaces,
    TaskService tasks,
    Projects.ProjectService projects,
    StorageClients storage,
    SessionJobs queue,
    ActiveSessions active,
    Runners.RunnerService runners,
    SessionSignals signals,
    TimeProvider clock,
    IIdGenerator ids,
    ILogger<SessionService> logger)
{
    private const int MaxErrorLength = 4000;
    private const int MaxMessageLength = 20_000;

    /// <summary>Runs a task: a queued session, a job on the queue, the task In progress. Refused while a session of the task is active.</summary>
    public async Task<Result<Session>> RunTaskAsync(Principal caller, string workspaceRef, string taskRef, CancellationToken ct) =>
        await WithRunnerNoticeAsync(await StartAsync(caller, workspaceRef, taskRef, SessionKind.Task, null, ct), ct);

    /// <summary>Continues the task's Claude conversation in its worktree, with what the person adds.</summary>
    public async Task<Result<Session>> ResumeTaskAsync(Principal caller, string workspaceRef, string taskRef, string? message, CancellationToken ct) =>
        await WithRunnerNoticeAsync(await StartAsync(caller, workspaceRef, taskRef, SessionKind.Resume, message, ct), ct);

    /// <summary>A session queued by a person says so when no runner can take it now, rather than waiting silently.</summary>
    private async Task<Result<Session>> WithRunnerNoticeAsync(Result<Session> started, CancellationToken ct) =>
        started.TryGet(out var session, out var failure) ? session with { Notice = await runners.WhyNoRunnerIsReadyAsync(ct) } : failure;

    /// <summary>Queues a scheduled agent's run: no task, a worktree of the default branch; the prompt, model and limits fixed now.</summary>
    internal async Task<Session> StartAgentAsync(Principal caller, Workspace workspace, string agentName, string prompt, string? model, int? maxTurns, decimal? maxBudgetUsd, CancellationToken ct)
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
        var pending = JsonSerializer.Serialize(new PendingAutoFix(kind, prompt), KonduktorJson.Options);
        var checkedTask = await tasks.ChangeAsync(workspace.Id, taskId, async task =>
        {
            if (task.ActiveSessionId is { } activeId && await FindEntityAsync(workspace.Id, Guid.Parse(activeId), ct) is { } running && SessionStates.IsActive(running.StatusValue))
            {
                task.PendingAutoFix = pending;
                decision = $"task {ShortId.Of(taskId)}: {KindName(kind)} waits for session {ShortId.Of(running.Id)} to end";
                return Done.Value;
            }

            if (task.AutoFixStreak >= limit)
            {
                task.Note = $"Automatic fixes stopped after {limit} attempt(s) in a row; the pull request needs a person. Run or resume the task to start again.";
                decision = $"task {ShortId.Of(taskId)}: auto-fix limit of {limit} reached; a note was left on the task";
                return Done.Value;
            }

            return new Conflict("start");
        }, ct);
        if (checkedTask.IsSuccess)
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

    /// <summary>Stops the task's active session.</summary>
    public async Task<Result<Session>> StopTaskAsync(Principal caller, string workspaceRef, string taskRef, CancellationToken ct)
    {
        if (!(await tasks.FindAsync(caller, workspaceRef, taskRef, ct)).TryGet(out var found, out var failure))
        {
            return failure;
        }

        return found.Entity.ActiveSessionId is { } activeId
            ? await StopAsync(caller, workspaceRef, activeId, ct)
            : new Conflict($"task {ShortId.Of(Guid.Parse(found.Entity.RowKey))} has no active session to stop");
    }

    /// <summary>
    /// A queued session stops at once; a claimed or running one is marked, and its runner, which learns it from its
    /// next heartbeat (seconds), stops the agent's whole process tree and reports it stopped. The worktree stays.
    /// </summary>
    public async Task<Result<Session>> StopAsync(Principal caller, string workspaceRef, string sessionRef, CancellationToken ct)
    {
        for (var attempt = 0; attempt < 5; attempt++)
        {
            if (!(await ResolveAsync(caller, workspaceRef, sessionRef, ct)).TryGet(out var session, out var failure))
            {
                return failure;
            }

            if (SessionStates.IsFinal(session.StatusValue))
            {
                return new Conflict($"session {ShortId.Of(session.Id)} has already ended ({StatusName(session.StatusValue)})");
            }

            var result = session.StatusValue == SessionStatus.Queued
                ? await FinishAsync(session, new SessionReport { Status = SessionStatus.Stopped, Error = $"stopped by {caller.Name} before a runner took it" }, ct)
                : session.StopRequestedAt is not null
                    ? session.ToSession()
                    : await UpdateSessionAsync(session, s => s.StopRequestedAt = clock.GetUtcNow(), ct);
            if (result.Failure is Conflict)
            {
                continue;
            }

            if (result.IsSuccess && session.StatusValue != SessionStatus.Queued)
            {
                await active.UpsertAsync(session, null, ct);
                logger.LogInformation("Stop of session {SessionId} requested by {Principal}", session.Id, caller.Name);
            }

            return result;
        }

        return new Conflict("the session kept changing while it was being stopped; try again");
    }

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

    /// <summary>The janitor's verdict on a session whose runner went silent, or whose job could not be delivered.</summary>
    internal Task<Result<Session>> EndAsync(SessionEntity session, SessionStatus status, string reason, CancellationToken ct) =>
        FinishAsync(session, new SessionReport { Status = status, Error = reason }, ct);

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

        var sessionId = ids.NewId();
        var now = clock.GetUtcNow();

        // The session row comes first, so a concurrent run that finds the task pointing at it sees it active.
        var session = new SessionEntity
        {
            PartitionKey = ShortId.Format(workspace.Id),
            RowKey = ShortId.Format(sessionId),
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

        string? resumeFrom = null;
        var changed = await tasks.ChangeAsync(workspace.Id, Guid.Parse(task.RowKey), async entity =>
        {
            if (entity.ActiveSessionId is { } activeId && activeId != session.RowKey
                && await FindEntityAsync(workspace.Id, Guid.Parse(activeId), ct) is { } active && SessionStates.IsActive(active.StatusValue))
            {
                return new Conflict($"task {ShortId.Of(Guid.Parse(entity.RowKey))} already has an active session {ShortId.Of(active.Id)} ({StatusName(active.StatusValue)}); stop it or wait for it to end");
            }

            if (kind != SessionKind.Task)
            {
                resumeFrom = entity.ClaudeSessionId;
                if (resumeFrom is null)
                {
                    return new Conflict($"task {ShortId.Of(Guid.Parse(entity.RowKey))} has no conversation to resume yet; run it first (`konduktor tasks run {ShortId.Of(Guid.Parse(entity.RowKey))}`)");
                }
            }

            entity.Branch ??= session.Branch;
            entity.ActiveSessionId = entity.LatestSessionId = session.RowKey;
            entity.LatestSessionStatus = StatusName(SessionStatus.Queued);
            entity.SessionCount++;
            entity.AutoFixStreak = kind is SessionKind.AutoFixCi or SessionKind.AutoFixConflicts ? entity.AutoFixStreak + 1 : 0;
            entity.Note = kind is SessionKind.AutoFixCi or SessionKind.AutoFixConflicts ? entity.Note : null;
            entity.PendingAutoFix = null;
            // A run or resume puts the task in progress; while its PR is open it stays PR Submitted, and fixes never move it.
            if (kind is SessionKind.Task or SessionKind.Resume && workspace.FindColumn(BoardColumns.InProgress) is { } inProgress
                && entity.Status != inProgress && entity.Status != workspace.FindColumn(BoardColumns.PrSubmitted))
            {
                entity.Status = inProgress;
                entity.Rank = TaskService.RankAt(now);
            }

            return Done.Value;
        }, ct);
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
        logger.LogInformation("Session {SessionId} ({Kind}) queued for task {TaskId} by {Principal}", sessionId, kind, taskEntity.RowKey, caller.Name);
        return session.ToSession();
    }

    /// <summary>Indexes the session as active and puts its job on the queue; if the queue refuses, the session fails (it never ran).</summary>
    private async Task QueueAsync(SessionEntity session, string whatNext, CancellationToken ct)
    {
        await active.UpsertAsync(session, null, ct);
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

    /// <summary>A scheduled agent's sessions, newest first (its runs, their state and cost).</summary>
    internal async Task<IReadOnlyList<Session>> AgentSessionsAsync(Guid workspaceId, string agentName, CancellationToken ct)
    {
        var table = await storage.Table(TableNames.Sessions);
        var sessions = new List<Session>();
        await foreach (var entity in table.QueryAsync<SessionEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {ShortId.Format(workspaceId)} and AgentName eq {agentName}"), cancellationToken: ct))
        {
            sessions.Add(entity.ToSession());
        }

        return sessions.OrderByDescending(s => s.CreatedAt).ToList();
    }

    public async Task<Result<Session>> GetAsync(Principal caller, string workspaceRef, string sessionRef, CancellationToken ct)
    {
        var found = await ResolveAsync(caller, workspaceRef, sessionRef, ct);
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

        var table = await storage.Table(TableNames.Sessions);
        var sessions = new List<Session>();
        await foreach (var entity in table.QueryAsync<SessionEntity>(query, cancellationToken: ct))
        {
            sessions.Add(entity.ToSession());
        }

        return sessions.OrderByDescending(s => s.CreatedAt).Take(Math.Clamp(filter.Limit, 1, 1000)).ToList();
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

        var token = Secrets.NewSessionToken(workspaceId, sessionId);
        session.StatusValue = SessionStatus.Claimed;
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
        if (taskEntity is null)
        {
            // A scheduled agent's run: its prompt, model and limits were fixed when it was queued.
            return new SessionJob
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
        }

        var description = await tasks.DescriptionOfAsync(taskEntity, ct);
        var branch = session.Branch ?? taskEntity.Branch ?? SessionPrompts.BranchFor(Guid.Parse(taskEntity.RowKey), taskEntity.Title);
        var resumes = session.KindValue != SessionKind.Task;
        return new SessionJob
        {
            Session = session.ToSession(),
            WorkspaceName = workspace.Name,
            Repository = workspace.Repository,
            DefaultBranch = workspace.DefaultBranch,
            Branch = branch,
            Prompt = SessionPrompts.For(session.KindValue, Guid.Parse(taskEntity.RowKey), taskEntity.Title, description, branch, session.Message),
            SystemPrompt = workspace.Config.SystemPrompt,
            PermissionMode = workspace.Config.PermissionMode,
            Model = workspace.Config.Model,
            ResumeClaudeSessionId = resumes ? session.ClaudeSessionId : null,
            PromptWithoutConversation = resumes
                ? SessionPrompts.ForLostConversation(session.KindValue, Guid.Parse(taskEntity.RowKey), taskEntity.Title, description, branch, session.Message, await LastWordsAsync(session, ct))
                : null,
            EarlierConversationCostUsd = resumes && taskEntity.ConversationCostUsd is { } earlier ? (decimal)earlier : null,
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

        return latest?.Outcome is { } outcome ? JsonSerializer.Deserialize<SessionOutcome>(outcome, KonduktorJson.Options)?.Result : null;
    }

    /// <summary>A runner reports a session it runs: started, its Claude session id, or its outcome.</summary>
    public async Task<Result<Session>> ReportAsync(Principal caller, Guid workspaceId, Guid sessionId, SessionReport report, CancellationToken ct)
    {
        if (!(await FindOwnedAsync(caller, workspaceId, sessionId, ct)).TryGet(out var session, out var failure))
        {
            return failure;
        }

        if (report.Error is { Length: > MaxErrorLength } || report.ClaudeSessionId is { Length: > 200 })
        {
            return new Invalid("the report's error or Claude session id is too long");
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

        var updated = await UpdateSessionAsync(session, s =>
        {
            s.StatusValue = report.Status;
            s.ClaudeSessionId = report.ClaudeSessionId ?? s.ClaudeSessionId;
            s.StartedAt = report.Status == SessionStatus.Running ? clock.GetUtcNow() : s.StartedAt;
        }, ct);
        await UpdateTaskCardAsync(session, task => task.ClaudeSessionId = report.ClaudeSessionId ?? task.ClaudeSessionId, ct);
        return updated;
    }

    /// <summary>Authenticates an agent's session token: valid for its workspace while the session is active.</summary>
    public async Task<Result<Principal>> AuthenticateAsync(string token, CancellationToken ct)
    {
        var parts = Secrets.IdsIn(token, Secrets.SessionPrefix, 2);
        if (parts.Length == 2 && await FindEntityAsync(parts[0], parts[1], ct) is { } session && Secrets.Matches(token, session.TokenHash))
        {
            return SessionStates.IsActive(session.StatusValue)
                ? new Principal(PrincipalKind.Session, session.AgentName is { } agent ? $"agent {agent} (session {ShortId.Of(session.Id)})" : $"session {ShortId.Of(session.Id)}", session.WorkspaceId, session.Id)
                : new Unauthorized($"session {ShortId.Of(session.Id)} has ended; its token is no longer valid");
        }

        return new Unauthorized("this session token is not valid");
    }

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

    internal async Task<SessionEntity?> FindEntityAsync(Guid workspaceId, Guid sessionId, CancellationToken ct)
    {
        var table = await storage.Table(TableNames.Sessions);
        var found = await table.GetEntityIfExistsAsync<SessionEntity>(ShortId.Format(workspaceId), ShortId.Format(sessionId), cancellationToken: ct);
        return found.HasValue ? found.Value : null;
    }

    internal static string KindName(SessionKind kind) => JsonSerializer.Serialize(kind, KonduktorJson.Options).Trim('"');

    internal static string StatusName(SessionStatus status) => JsonSerializer.Serialize(status, KonduktorJson.Options).Trim('"');

    private async Task<Result<Session>> FinishAsync(SessionEntity session, SessionReport report, CancellationToken ct)
    {
        var updated = await UpdateSessionAsync(session, s =>
        {
            s.StatusValue = report.Status;
            s.ClaudeSessionId = report.ClaudeSessionId ?? s.ClaudeSessionId;
            s.EndedAt = clock.GetUtcNow();
            s.ExitCode = report.ExitCode;
            s.Error = report.Error;
            s.Outcome = report.Outcome is null ? null : JsonSerializer.Serialize(report.Outcome, KonduktorJson.Options);
            s.LastSequence = report.LastSequence;
            s.TokenHash = null;
        }, ct);
        if (updated.IsSuccess)
        {
            await UpdateTaskCardAsync(session, task =>
            {
                if (task.ActiveSessionId == session.RowKey)
                {
                    task.ActiveSessionId = null;
                }

                task.ClaudeSessionId = report.ClaudeSessionId ?? task.ClaudeSessionId;
                task.CostUsd += (double)(report.Outcome?.CostUsd ?? 0);
                task.ConversationCostUsd = report.Outcome?.ConversationCostUsd is { } total ? (double)total : task.ConversationCostUsd;
                task.InputTokens += report.Outcome?.InputTokens ?? 0;
                task.OutputTokens += report.Outcome?.OutputTokens ?? 0;
            }, ct);
            await active.RemoveAsync(session.Id, CancellationToken.None);
            signals.Pulse(session.Id, final: true);
            await StartPendingAutoFixAsync(session, ct);
            logger.LogInformation("Session {SessionId} ended {Status} (exit code {ExitCode})", session.Id, report.Status, report.ExitCode);
        }

        return updated;
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
            pending = task.PendingAutoFix is { } json ? JsonSerializer.Deserialize<PendingAutoFix>(json, KonduktorJson.Options) : null;
            task.PendingAutoFix = null;
            return Task.FromResult<Result<Done>>(pending is null ? new Conflict("nothing pending") : Done.Value);
        }, ct);
        if (pending is not null)
        {
            var result = await StartAutoFixAsync(Principal.Konduktor("auto-fix"), workspace, Guid.Parse(ended.TaskId), pending.Kind, pending.Prompt, workspace.Config.AutoFixLimit, ct);
            logger.LogInformation("After session {SessionId}: {Result}", ended.Id, result);
        }
    }

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
            return Task.FromResult<Result<Done>>(Done.Value);
        }, ct);
        if (result.Failure is { } failure and not NotFound)
        {
            logger.LogWarning("Task {TaskId} card not updated for session {SessionId}: {Reason}", session.TaskId, session.Id, failure.Message);
        }
    }
}

using Konduktor.Core.Auth;
using Konduktor.Core.Quota;
using Konduktor.Core.Results;
using Konduktor.Core.Tasks;
using Microsoft.Extensions.Logging;

namespace Konduktor.Core.Sessions;

/// <summary>The runner's word on what it runs: a session's state and outcome, a job it gives up on, its worktrees' tasks.</summary>
public sealed class SessionReports(SessionStore store, SessionEnds ends, TaskService tasks, SessionJobs queue, AccountLimits limits, TimeProvider clock, ILogger<SessionReports> logger)
{
    /// <summary>A runner reports a session it runs: started, its Claude session id, or its outcome.</summary>
    public async Task<Result<Session>> ReportAsync(Principal caller, Guid workspaceId, Guid sessionId, SessionReport report, CancellationToken ct)
    {
        if (!(await store.FindOwnedAsync(caller, workspaceId, sessionId, ct)).TryGet(out var session, out var failure))
        {
            return failure;
        }

        if (InvalidIn(report) is { } invalid)
        {
            return invalid;
        }

        // An ended session keeps its end: the same final report again is a retry; anything else comes too late (the
        // janitor orphaned the session while its runner was out of reach) and changes nothing.
        if (SessionStates.IsFinal(session.StatusValue))
        {
            return session.StatusValue == report.Status && session.LastSequence == report.LastSequence
                ? session.ToSession()
                : new Conflict($"session {ShortId.Of(sessionId)} already ended {SessionStore.StatusName(session.StatusValue)}{(session.Error is { } why ? $" ({why})" : "")}; a later report does not change it");
        }

        // A warning, a lift or a rejection of the runner's account, for every runner using it.
        if (report.UsageLimit is { } usage)
        {
            await limits.RecordAsync(session.Account, usage, ct);
        }

        if (session.StatusValue != report.Status && !SessionStates.CanMove(session.StatusValue, report.Status))
        {
            return new Conflict($"session {ShortId.Of(sessionId)} is {SessionStore.StatusName(session.StatusValue)}; it cannot become {SessionStore.StatusName(report.Status)}");
        }

        return session.StatusValue == report.Status ? await NotedAsync(session, report, ct)
            : SessionStates.IsFinal(report.Status) ? await ends.FinishAsync(session, report, ct)
            : report.Status == SessionStatus.WaitingForQuota ? await ends.ParkAsync(session, report, ct)
            : await MovedAsync(session, report, ct);
    }

    private static Invalid? InvalidIn(SessionReport report) =>
        report.Error is { Length: > SessionStore.MaxErrorLength } ? new Invalid($"the report's error is longer than {SessionStore.MaxErrorLength:N0} characters", "error")
        // A conversation id names files on runners and blobs in storage: a UUID or nothing, whatever an agent printed.
        : report.ClaudeSessionId is { } conversation && !Guid.TryParseExact(conversation, "D", out _) ? new Invalid("a Claude session id is a UUID (as Claude Code makes them); this one is not", "claudeSessionId")
        : null;

    /// <summary>The same state again: only the conversation's id may be new.</summary>
    private async Task<Result<Session>> NotedAsync(SessionEntity session, SessionReport report, CancellationToken ct)
    {
        var same = await store.UpdateAsync(session, s => s.ClaudeSessionId = report.ClaudeSessionId ?? s.ClaudeSessionId, ct);
        if (same.IsSuccess && report.ClaudeSessionId is not null)
        {
            await store.UpdateTaskCardAsync(session, task => task.ClaudeSessionId = report.ClaudeSessionId, ct);
        }

        return same;
    }

    /// <summary>A step along the way (claimed → preparing → running): the task's card learns the conversation's id.</summary>
    private async Task<Result<Session>> MovedAsync(SessionEntity session, SessionReport report, CancellationToken ct)
    {
        var updated = await store.UpdateAsync(session, s =>
        {
            s.StatusValue = report.Status;
            s.ClaudeSessionId = report.ClaudeSessionId ?? s.ClaudeSessionId;
            s.StartedAt = report.Status == SessionStatus.Running ? clock.GetUtcNow() : s.StartedAt;
        }, ct);
        await store.UpdateTaskCardAsync(session, task => task.ClaudeSessionId = report.ClaudeSessionId ?? task.ClaudeSessionId, ct);
        return updated;
    }

    /// <summary>
    /// A runner gives up on a job message delivered too many times: the message goes to the poison queue and, if its
    /// session is still waiting for a runner, the session fails with the reason.
    /// </summary>
    public async Task<Result<Session>> PoisonAsync(Principal caller, PoisonedJob job, CancellationToken ct)
    {
        if (job.MessageText.Length > SessionJobs.MaxMessageChars || job.Reason.Length > SessionStore.MaxErrorLength)
        {
            return new TooLarge($"a job message is at most {SessionJobs.MaxMessageChars:N0} characters and its reason {SessionStore.MaxErrorLength:N0}; this is not one of Konduktor's jobs — drop it");
        }

        if (await store.FindEntityAsync(job.WorkspaceId, job.SessionId, ct) is not { } session)
        {
            return new NotFound($"no session matches '{ShortId.Of(job.SessionId)}'; drop its message");
        }

        await queue.PoisonAsync(job.MessageText, ct);
        logger.LogWarning("Job of session {SessionId} poisoned after {Count} deliveries: {Reason}", job.SessionId, job.DequeueCount, job.Reason);
        return session.StatusValue == SessionStatus.Queued
            ? await ends.FinishAsync(session, new SessionReport { Status = SessionStatus.Failed, Error = $"its job message was delivered {job.DequeueCount} times without being run ({job.Reason}); it was moved to the poison queue — run the task again" }, ct)
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
}

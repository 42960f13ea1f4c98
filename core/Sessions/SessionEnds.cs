using Azure;
using Konduktor.Core.GitHub;
using Konduktor.Core.Json;
using Konduktor.Core.Quota;
using Konduktor.Core.Results;
using Konduktor.Core.Tasks;
using Konduktor.Core.Workspaces;
using Microsoft.Extensions.Logging;

namespace Konduktor.Core.Sessions;

/// <summary>
/// Where a run ends: finished (its outcome, cost and tokens on the task's card, its pull request and any automatic fix
/// that waited for it queued), or parked at its account's usage limit until the reset.
/// </summary>
public sealed class SessionEnds(
    SessionStore store,
    WorkspaceService workspaces,
    ActiveSessions active,
    SessionSignals signals,
    UsageLedger usage,
    QuotaOptions quota,
    GitHubWork gitHubWork,
    TimeProvider clock,
    ILogger<SessionEnds> logger)
{
    /// <summary>The janitor's verdict on a session whose runner went silent, or whose job could not be delivered.</summary>
    internal Task<Result<Session>> EndAsync(SessionEntity session, SessionStatus status, string reason, CancellationToken ct) =>
        FinishAsync(session, new SessionReport { Status = status, Error = reason }, ct);

    internal async Task<Result<Session>> FinishAsync(SessionEntity session, SessionReport report, CancellationToken ct)
    {
        var updated = await store.UpdateAsync(session, s =>
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
        if (!updated.IsSuccess)
        {
            return updated;
        }

        var fixWaits = false;
        await store.UpdateTaskCardAsync(session, task =>
        {
            if (task.ActiveSessionId == session.RowKey)
            {
                task.ActiveSessionId = null;
                task.QuotaResetsAt = task.ResumesAt = null;
            }

            fixWaits = task.PendingAutoFix is not null;
            AddRun(task, report);
        }, ct);
        await AddUsageAsync(session, report, ct);
        await active.RemoveAsync(session.Id, CancellationToken.None);
        signals.Pulse(session.Id, final: true);
        if (session.TaskId is { } taskId && (report.CommitsAhead > 0 || fixWaits))
        {
            await QueueFollowUpAsync(session, Guid.Parse(taskId), report.CommitsAhead > 0, fixWaits, ct);
        }

        logger.LogInformation("Session {SessionId} ended {Status} (exit code {ExitCode})", session.Id, report.Status, report.ExitCode);
        return updated;
    }

    /// <summary>
    /// The runner's agent stopped at its account's usage limit: the session keeps its conversation and its task, and
    /// waits for the reset (clamped to a sane range). Its run's cost counts now; its log goes on when it continues.
    /// </summary>
    internal async Task<Result<Session>> ParkAsync(SessionEntity session, SessionReport report, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var limit = report.UsageLimit ?? new UsageLimit(UsageLimit.Rejected);
        var resetsAt = quota.ResetOf(limit, now);
        var workspace = await workspaces.FindByIdAsync(session.WorkspaceId, ct);
        var automatic = workspace?.Config.AutoResume != false;
        var updated = await store.UpdateAsync(session, s =>
        {
            s.StatusValue = SessionStatus.WaitingForQuota;
            s.ClaudeSessionId = report.ClaudeSessionId ?? s.ClaudeSessionId;
            s.ExitCode = report.ExitCode;
            s.Error = report.Error;
            s.Outcome = report.Outcome is null ? s.Outcome : KonduktorJson.Serialize(report.Outcome);
            s.LastSequence = report.LastSequence;
            s.TokenHash = null;
            s.QuotaResetsAt = resetsAt;
            s.ResumesAt = automatic ? resetsAt : null;
        }, ct);
        if (!updated.IsSuccess)
        {
            return updated;
        }

        await store.UpdateTaskCardAsync(session, task =>
        {
            AddRun(task, report);
            task.QuotaResetsAt = resetsAt;
            task.ResumesAt = automatic ? resetsAt : null;
        }, ct);
        await AddUsageAsync(session, report, ct);
        await active.UpsertAsync(session, null, ct);
        logger.LogInformation("Session {SessionId} waits for quota: account {Account} at its usage limit ({Window}) until {ResetsAt:u}; {Then}",
            session.Id, session.Account, limit.Window, resetsAt, automatic ? "it continues then" : "a person resumes it");
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

    private Task AddUsageAsync(SessionEntity session, SessionReport report, CancellationToken ct) =>
        usage.AddAsync(session.WorkspaceId, session.TaskId is { } taskId ? Guid.Parse(taskId) : null, session.AgentName, report.Outcome?.CostUsd, ct);

    /// <summary>
    /// What follows the end waits on GitHub or on another session's start, so it goes on the GitHub work queue (not
    /// here): the branch's pull request when the session left commits, and an automatic fix that waited for the session.
    /// </summary>
    private async Task QueueFollowUpAsync(SessionEntity ended, Guid taskId, bool leftCommits, bool fixWaits, CancellationToken ct)
    {
        try
        {
            if (leftCommits)
            {
                await gitHubWork.EnqueueAsync(new GitHubWorkItem(GitHubWorkKind.OpenPullRequest, ended.WorkspaceId, taskId), ct);
            }

            if (fixWaits)
            {
                await gitHubWork.EnqueueAsync(new GitHubWorkItem(GitHubWorkKind.StartWaitingAutoFix, ended.WorkspaceId, taskId), ct);
            }
        }
        catch (RequestFailedException e)
        {
            // The reconciler opens the pull request on its next pass; a waiting fix stays on the task for the next end or webhook.
            logger.LogWarning(e, "Could not queue what follows session {SessionId} of task {TaskId}", ended.Id, taskId);
        }
    }
}

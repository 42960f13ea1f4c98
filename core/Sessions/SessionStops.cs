using Konduktor.Core.Auth;
using Konduktor.Core.Results;
using Konduktor.Core.Tasks;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.Retry;

namespace Konduktor.Core.Sessions;

/// <summary>Stopping sessions: a queued or parked one at once, a running one through its runner.</summary>
public sealed class SessionStops(SessionStore store, SessionEnds ends, TaskService tasks, ActiveSessions active, SessionMessages messages, TimeProvider clock, ILogger<SessionStops> logger)
{
    /// <summary>A stop that lost a race with the session's own changes (a claim, a report) is tried again on its fresh state, five times at most.</summary>
    private static readonly ResiliencePipeline<(Result<Session> Result, bool LostRace)> StopRace = new ResiliencePipelineBuilder<(Result<Session> Result, bool LostRace)>()
        .AddRetry(new RetryStrategyOptions<(Result<Session> Result, bool LostRace)>
        {
            ShouldHandle = args => ValueTask.FromResult(args.Outcome is { Exception: null, Result.LostRace: true }),
            MaxRetryAttempts = 4,
            Delay = TimeSpan.Zero,
        })
        .Build();

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
    /// session's inbox (within a second) or its next heartbeat, stops the agent's whole process tree and reports it stopped. The worktree stays.
    /// </summary>
    public async Task<Result<Session>> StopAsync(Principal caller, string workspaceRef, string sessionRef, CancellationToken ct)
    {
        var (result, lostRace) = await StopRace.ExecuteAsync(async token => await TryStopAsync(caller, workspaceRef, sessionRef, token), ct);
        return lostRace ? new Conflict("the session kept changing while it was being stopped; try again") : result;
    }

    private async Task<(Result<Session> Result, bool LostRace)> TryStopAsync(Principal caller, string workspaceRef, string sessionRef, CancellationToken ct)
    {
        if (!(await store.ResolveAsync(caller, workspaceRef, sessionRef, ct)).TryGet(out var session, out var failure))
        {
            return (failure, false);
        }

        if (SessionStates.IsFinal(session.StatusValue))
        {
            return (new Conflict($"session {ShortId.Of(session.Id)} has already ended ({SessionStore.StatusName(session.StatusValue)})"), false);
        }

        var result = session.StatusValue == SessionStatus.Queued
            ? await ends.FinishAsync(session, new SessionReport { Status = SessionStatus.Stopped, Error = $"stopped by {caller.Name} before a runner took it" }, ct)
            : session.StatusValue == SessionStatus.WaitingForQuota
            ? await ends.FinishAsync(session, new SessionReport { Status = SessionStatus.Stopped, Error = $"stopped by {caller.Name} while it waited for the usage limit to reset; resume the task to continue" }, ct)
            : session.StopRequestedAt is not null
                ? session.ToSession()
                : await store.UpdateAsync(session, s => s.StopRequestedAt = clock.GetUtcNow(), ct);
        if (result.Failure is Conflict)
        {
            return (result, true);
        }

        if (result.IsSuccess && SessionStates.OnRunner(session.StatusValue))
        {
            await active.UpsertAsync(session, null, ct);
            messages.Wake(session.Id);
            logger.LogInformation("Stop of session {SessionId} requested by {Principal}", session.Id, caller.Name);
        }

        return (result, false);
    }
}

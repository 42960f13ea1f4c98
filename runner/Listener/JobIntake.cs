using Konduktor.Core.Sessions;
using Microsoft.Extensions.Logging;

namespace Konduktor.Runner.Listener;

/// <summary>
/// Takes session jobs while the runner has room: reads the queue (fast while there is work, backing off to about two
/// seconds when idle), claims each session through the API (only one runner wins), deletes the message only after
/// that, and starts a worker for it. Takes nothing while the agent cannot run, the account is at its usage limit, or the
/// lease has lapsed.
/// </summary>
public sealed class JobIntake(RunnerOptions options, RunnerApi api, RunnerLease lease, RunnerState state, JobSource jobs, AgentCheck agent, Heartbeats heartbeats,
    SessionWorkers workers, TimeProvider clock, ILogger<JobIntake> logger)
{
    /// <summary>After work (a job taken or a session ended) more tends to follow: poll briskly this long before backing off.</summary>
    private static readonly TimeSpan WarmPeriod = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan WarmPoll = TimeSpan.FromMilliseconds(100);

    /// <summary>Through the API every poll is a function execution: at rest it polls less often.</summary>
    private static readonly TimeSpan ApiIdlePollMax = TimeSpan.FromSeconds(10);

    /// <summary>While its agent cannot run, the runner takes no jobs and looks again this often (installing it is enough).</summary>
    private static readonly TimeSpan AgentRecheck = TimeSpan.FromSeconds(30);

    /// <summary>A limit met without a reset: look again this soon (Konduktor's own fallback comes with the next heartbeat).</summary>
    private static readonly TimeSpan UnknownResetWait = TimeSpan.FromMinutes(1);

    public async Task LoopAsync(CancellationToken ct)
    {
        var idleDelay = TimeSpan.Zero;
        while (!ct.IsCancellationRequested)
        {
            if (await CannotTakeWorkAsync(ct))
            {
                continue;
            }

            var free = options.Capacity - state.Running.Count;
            if (free <= 0)
            {
                if (state.Running.Values.ToArray() is { Length: > 0 } busy)
                {
                    await Task.WhenAny(busy).WaitAsync(ct);
                }

                continue;
            }

            var messages = await jobs.ReceiveAsync(Math.Min(free, 32), ct);
            if (messages.Count == 0)
            {
                var idleMax = jobs.Direct ? options.IdlePollMax.TotalMilliseconds : Math.Max(options.IdlePollMax.TotalMilliseconds, ApiIdlePollMax.TotalMilliseconds);
                idleDelay = state.SinceActivity < WarmPeriod ? WarmPoll : TimeSpan.FromMilliseconds(Math.Clamp(idleDelay.TotalMilliseconds * 2, 50, idleMax));
                await Task.Delay(idleDelay, clock, ct);
                continue;
            }

            idleDelay = TimeSpan.Zero;
            state.NoteActivity();
            foreach (var message in messages)
            {
                await TakeAsync(message, ct);
            }
        }
    }

    /// <summary>Waits out what keeps the runner from taking work now (true), or says it may take work (false).</summary>
    private async Task<bool> CannotTakeWorkAsync(CancellationToken ct)
    {
        if (state.Agent is { Ready: false })
        {
            await Task.Delay(AgentRecheck, clock, ct);
            if ((await agent.CheckAsync(ct)).Ready)
            {
                agent.Log();
                await heartbeats.BeatAsync(ct);
            }

            return true;
        }

        // At the account's usage limit a session would only meet it again: jobs wait in the queue for the reset (or
        // for a runner with another account), without being received and counted towards the poison queue.
        if (state.QuotaUntil is { } until)
        {
            var wait = until - clock.GetUtcNow();
            await Task.Delay(wait < Heartbeats.Busy ? (wait > TimeSpan.Zero ? wait : TimeSpan.Zero) : Heartbeats.Busy, clock, ct);
            return true;
        }

        // Out of Konduktor's reach, a job could not be claimed anyway, and its message would hide from other runners.
        if (lease.Lapsed)
        {
            await Task.Delay(Heartbeats.Busy, clock, ct);
            return true;
        }

        return false;
    }

    private async Task TakeAsync(JobMessage message, CancellationToken ct)
    {
        if (SessionJobMessage.TryParse(message.MessageText) is not { } job)
        {
            logger.LogWarning("Dropping a message that is not a session job: {MessageId}", message.MessageId);
            await jobs.DeleteAsync(message, ct);
            return;
        }

        if (message.DequeueCount > SessionJobs.MaxDeliveries)
        {
            await PoisonAsync(message, job, ct);
            return;
        }

        SessionJob claimed;
        try
        {
            claimed = await api.ClaimAsync(job.WorkspaceId, job.SessionId, ct);
        }
        catch (RunnerApiException e) when (!e.IsTransient)
        {
            logger.LogInformation("Session {SessionId} not claimed: {Reason}", job.SessionId, e.Message);
            await jobs.DeleteAsync(message, ct);
            return;
        }
        catch (RunnerApiException e)
        {
            if (e.Status == System.Net.HttpStatusCode.TooManyRequests)
            {
                // Konduktor knows the account is at its usage limit before this runner did: its next heartbeat says until when.
                state.NoteQuotaUntil(clock.GetUtcNow() + Heartbeats.Busy);
            }

            logger.LogWarning("Session {SessionId} not claimed yet ({Reason}); the message comes back", job.SessionId, e.Message);
            return;
        }

        await jobs.DeleteAsync(message, ct);
        logger.LogInformation("Session {SessionId} claimed: task branch {Branch}", job.SessionId, claimed.Branch);
        Start(job, claimed, ct);
    }

    private async Task PoisonAsync(JobMessage message, SessionJobMessage job, CancellationToken ct)
    {
        try
        {
            var reason = $"taken {message.DequeueCount} times, never claimed (runners crashed or the API failed while claiming)";
            await api.PoisonAsync(new PoisonedJob { WorkspaceId = job.WorkspaceId, SessionId = job.SessionId, DequeueCount = message.DequeueCount, MessageText = message.MessageText, Reason = reason }, ct);
            await jobs.DeleteAsync(message, ct);
            logger.LogWarning("Session {SessionId}: its job message moved to the poison queue after {Count} deliveries", job.SessionId, message.DequeueCount);
        }
        catch (RunnerApiException e)
        {
            logger.LogWarning("Could not report the poisoned job of session {SessionId}: {Reason}", job.SessionId, e.Message);
        }
    }

    private void Start(SessionJobMessage job, SessionJob claimed, CancellationToken ct)
    {
        var execution = workers.Create(claimed, limit => state.NoteQuotaUntil(limit.ResetsAt is { } at && at > clock.GetUtcNow() ? at : clock.GetUtcNow() + UnknownResetWait));
        state.Executions[job.SessionId] = execution;
        state.Running[job.SessionId] = Task.Run(async () =>
        {
            try
            {
                await execution.RunAsync(ct);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                logger.LogError(e, "Session {SessionId} ended with an unexpected error", job.SessionId);
                try
                {
                    await api.ReportAsync(job.WorkspaceId, job.SessionId, new SessionReport { Status = SessionStatus.Failed, Error = $"runner {options.Name} failed unexpectedly while running it: {e.Message}" }, CancellationToken.None);
                }
                catch (RunnerApiException)
                {
                    // The janitor ends it: this runner's heartbeats no longer name it.
                }
            }
            finally
            {
                state.Running.TryRemove(job.SessionId, out _);
                state.Executions.TryRemove(job.SessionId, out _);
                state.NoteActivity();
            }
        }, CancellationToken.None);
    }
}

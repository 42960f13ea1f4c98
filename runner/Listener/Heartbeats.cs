using Konduktor.Core.Runners;
using Microsoft.Extensions.Logging;

namespace Konduktor.Runner.Listener;

/// <summary>
/// The runner's heartbeat: every second or two while sessions run (a stop reaches them in seconds), every interval when
/// idle, sooner with jitter after a failed one. Each answered beat renews the lease the agents' supervisors hold to,
/// and brings the sessions to stop, the sessions Konduktor no longer counts as this runner's, and a fresh queue URL.
/// </summary>
public sealed class Heartbeats(RunnerOptions options, RunnerApi api, RunnerLease lease, RunnerState state, JobSource jobs, TimeProvider clock, ILogger<Heartbeats> logger)
{
    /// <summary>How often a runner with sessions beats, and waits while it cannot take work.</summary>
    public static readonly TimeSpan Busy = TimeSpan.FromSeconds(2);

    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    public async Task LoopAsync(TimeSpan interval, CancellationToken ct)
    {
        var lastBeat = clock.GetTimestamp();
        while (!ct.IsCancellationRequested)
        {
            await Task.Delay(lease.NextDelay(Busy), clock, ct);
            StopAgentsIfLeaseLapsed();
            if (state.Running.IsEmpty && clock.GetElapsedTime(lastBeat) < lease.NextDelay(interval))
            {
                continue;
            }

            lastBeat = clock.GetTimestamp();
            await BeatAsync(ct);
        }
    }

    /// <summary>Out of Konduktor's reach for most of the lease: the agents stop now, before their sessions can be given to another runner.</summary>
    private void StopAgentsIfLeaseLapsed()
    {
        if (!lease.Lapsed)
        {
            return;
        }

        foreach (var execution in state.Executions.Values)
        {
            execution.Abandon(lease.LapsedReason(options.Name));
        }
    }

    public async Task BeatAsync(CancellationToken ct)
    {
        if (state.RunnerId is not { } runnerId)
        {
            return;
        }

        // A heartbeat that hangs (a network that drops packets) must not hold up the lease's clock.
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(lease.Window / 4 < Timeout ? lease.Window / 4 : Timeout);
        try
        {
            var beat = new RunnerHeartbeat
            {
                ActiveSessions = [.. state.Running.Keys],
                Capacity = options.Capacity,
                StorageOperations = jobs.StorageOperations.Total,
                QueueUrlExpiresAt = jobs.ExpiresAt,
                Note = state.Note,
                Agent = state.Agent?.Description,
                AgentProblem = state.Agent?.Problem,
                Account = state.Account,
            };
            var sentAt = clock.GetUtcNow();
            var reply = await api.HeartbeatAsync(runnerId, beat, timeout.Token);
            lease.Renewed(sentAt, reply.LeaseSeconds);
            state.NoteAccountLimit(reply);
            Apply(reply);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            lease.Failed();
            logger.LogWarning("Heartbeat not answered in time; {Seconds:0} s since Konduktor last heard from this runner", lease.SinceRenewal.TotalSeconds);
        }
        catch (RunnerApiException e)
        {
            lease.Failed();
            logger.LogWarning("Heartbeat not delivered: {Reason}", e.Message);
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or NotSupportedException)
        {
            logger.LogError("Heartbeat reply not understood ({Reason}); are the runner and the API the same version?", e.Message);
        }
    }

    private void Apply(HeartbeatReply reply)
    {
        foreach (var execution in state.Executions.Values)
        {
            execution.RenewLease(lease.Deadline);
        }

        foreach (var stop in reply.StopSessions)
        {
            if (state.Executions.TryGetValue(stop, out var execution))
            {
                execution.RequestStop();
            }
        }

        foreach (var lost in reply.LostSessions ?? [])
        {
            if (state.Executions.TryGetValue(lost, out var execution))
            {
                execution.Abandon($"Konduktor no longer counts session {Konduktor.Core.ShortId.Of(lost)} as runner {options.Name}'s (it was orphaned while the runner was out of reach), so the runner stopped its agent");
            }
        }

        if (reply.QueueUrl is { } url && reply.QueueUrlExpiresAt is { } expiresAt)
        {
            jobs.Use(url, expiresAt);
        }
    }
}

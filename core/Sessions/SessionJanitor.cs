using Azure.Data.Tables;
using Konduktor.Core.Runners;
using Microsoft.Extensions.Logging;

namespace Konduktor.Core.Sessions;

/// <summary>How long the janitor waits before it calls a runner gone or a job message lost.</summary>
public sealed record JanitorOptions
{
    public const string Section = "Konduktor:Sessions";

    /// <summary>A runner silent this long has its sessions marked orphaned.</summary>
    public TimeSpan OrphanAfter { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>A session still queued this long after its message was sent gets its message again.</summary>
    public TimeSpan LostAfter { get; init; } = TimeSpan.FromMinutes(5);
}

/// <param name="Orphaned">Sessions whose runner stopped heartbeating.</param>
/// <param name="Requeued">Queued sessions whose job message was sent again.</param>
/// <param name="Tidied">Index rows of sessions that had already ended.</param>
/// <param name="Continued">Sessions that waited for quota and continue now that the limit has reset.</param>
public sealed record JanitorReport(int Orphaned, int Requeued, int Tidied, int Continued = 0);

/// <summary>
/// Sessions that nobody will finish: a runner that went silent leaves them orphaned (the task can be resumed);
/// a job message that never arrived is sent again (a duplicate is harmless: only one claim wins); a session that
/// waited for quota continues once its limit has reset.
/// </summary>
public sealed class SessionJanitor(ActiveSessions active, SessionStore sessions, SessionStarts starts, SessionEnds ends, RunnerService runners, SessionJobs queue, JanitorOptions options, TimeProvider clock, ILogger<SessionJanitor> logger)
{
    /// <summary>A heartbeat this long after a claim names the session, or the runner does not run it.</summary>
    private static readonly TimeSpan ClaimGrace = TimeSpan.FromSeconds(15);

    public async Task<JanitorReport> RunAsync(CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var heartbeats = await runners.LastHeartbeatsAsync(ct);
        int orphaned = 0, requeued = 0, tidied = 0, continued = 0;
        foreach (var row in await active.ListAsync(null, ct))
        {
            var session = await sessions.FindEntityAsync(Guid.Parse(row.WorkspaceId), Guid.Parse(row.RowKey), ct);
            if (session is null || SessionStates.IsFinal(session.StatusValue))
            {
                await active.RemoveAsync(Guid.Parse(row.RowKey), ct);
                tidied++;
            }
            else if (session.StatusValue == SessionStatus.WaitingForQuota)
            {
                continued += await ContinueIfResetAsync(session, now, ct) ? 1 : 0;
            }
            else if (session.StatusValue == SessionStatus.Queued)
            {
                requeued += await ResendIfLostAsync(session, row, now, ct) ? 1 : 0;
            }
            else if (WhyOrphaned(session, heartbeats, now) is { } reason && (await ends.EndAsync(session, SessionStatus.Orphaned, reason, ct)).IsSuccess)
            {
                logger.LogWarning("Session {SessionId} orphaned: {Reason}", session.Id, reason);
                orphaned++;
            }
        }

        return new JanitorReport(orphaned, requeued, tidied, continued);
    }

    private async Task<bool> ContinueIfResetAsync(SessionEntity session, DateTimeOffset now, CancellationToken ct) =>
        session.ResumesAt is { } resumesAt && resumesAt <= now
        && (await starts.ContinueParkedAsync(session, null, "its usage limit has reset", ct)).IsSuccess;

    /// <summary>
    /// Waiting is not being lost: while no runner takes jobs (none online, or all at a usage limit), the message is sent
    /// again ever less often, not every few minutes for hours.
    /// </summary>
    private async Task<bool> ResendIfLostAsync(SessionEntity session, ActiveSessionEntity row, DateTimeOffset now, CancellationToken ct)
    {
        if (now - row.EnqueuedAt <= options.LostAfter * Math.Min(1 << Math.Min(row.EnqueueCount - 1, 4), 12))
        {
            return false;
        }

        await queue.EnqueueAsync(session.WorkspaceId, session.Id, ct);
        await active.UpsertAsync(session, r => (r.EnqueuedAt, r.EnqueueCount) = (now, r.EnqueueCount + 1), ct);
        logger.LogWarning("Session {SessionId} was still queued {Minutes:0.0} min after its job was sent; sent it again", session.Id, (now - row.EnqueuedAt).TotalMinutes);
        return true;
    }

    /// <summary>Why a session on a runner is orphaned: its runner no longer names it, or went silent. Null while it lives.</summary>
    private string? WhyOrphaned(SessionEntity session, Dictionary<Guid, LastHeartbeat> heartbeats, DateTimeOffset now)
    {
        var beat = session.RunnerId is { } runnerId && heartbeats.TryGetValue(Guid.Parse(runnerId), out var found) ? found : null;
        // A claim is a sign of life too: an idle runner's last heartbeat may be older than the session it just claimed.
        var lastBeat = beat?.At is { } heard && (session.ClaimedAt is null || heard > session.ClaimedAt) ? heard : session.ClaimedAt;
        if (beat is { At: { } at } && session.ClaimedAt is { } claimed && at - claimed > ClaimGrace && !beat.Sessions.Contains(session.Id))
        {
            // The runner heartbeats but no longer names the session: it restarted, or lost it some other way.
            return $"runner {session.RunnerName ?? "?"} no longer runs it (it restarted, or lost the session); resume the task to continue where it left off";
        }

        return lastBeat is null || now - lastBeat.Value > options.OrphanAfter
            ? $"runner {session.RunnerName ?? "?"} stopped heartbeating{(lastBeat is { } last ? $" at {last:u}" : "")}; resume the task to continue where it left off"
            : null;
    }
}

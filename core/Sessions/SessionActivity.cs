using Konduktor.Core.Tasks;
using Microsoft.Extensions.Logging;

namespace Konduktor.Core.Sessions;

/// <summary>
/// The one line a running card shows — the tool the agent is using or its last words — taken from the log as it
/// arrives and kept on the session's row of the active index. At most one write per session every
/// <see cref="Every"/> (the latest line waits for the next, so a long tool call still shows); each write wakes this
/// host's open boards (other hosts' boards see it with their next change).
/// </summary>
public sealed class SessionActivity(ActiveSessions active, BoardFeed feed, TimeProvider clock, ILogger<SessionActivity> logger)
{
    public static readonly TimeSpan Every = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan Forgotten = TimeSpan.FromHours(1);

    private readonly Lock _gate = new();
    private readonly Dictionary<Guid, Line> _lines = [];

    private sealed class Line
    {
        public string? Shown;
        public string? Next;
        public DateTimeOffset WrittenAt;
        public bool Waiting;
    }

    /// <summary>Notes what these events show the agent doing; returns at once (the write happens beside the caller).</summary>
    internal void Note(Guid workspaceId, Guid sessionId, IReadOnlyList<LogEvent> events)
    {
        if (LogEntries.Activity(events) is not { } activity)
        {
            return;
        }

        TimeSpan wait;
        lock (_gate)
        {
            if (!_lines.TryGetValue(sessionId, out var line))
            {
                Forget(clock.GetUtcNow() - Forgotten);
                _lines[sessionId] = line = new Line();
            }

            if (line.Shown == activity && line.Next is null)
            {
                return;
            }

            line.Next = activity;
            if (line.Waiting)
            {
                return;
            }

            line.Waiting = true;
            wait = line.WrittenAt + Every - clock.GetUtcNow();
        }

        _ = WriteAsync(workspaceId, sessionId, wait > TimeSpan.Zero ? wait : TimeSpan.Zero);
    }

    /// <summary>Lines of sessions silent since before <paramref name="before"/> (ended ones, mostly) are no longer kept.</summary>
    private void Forget(DateTimeOffset before)
    {
        foreach (var (id, line) in _lines.Where(l => !l.Value.Waiting && l.Value.WrittenAt < before).ToList())
        {
            _lines.Remove(id);
        }
    }

    private async Task WriteAsync(Guid workspaceId, Guid sessionId, TimeSpan wait)
    {
        try
        {
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, clock);
            }

            string? activity;
            lock (_gate)
            {
                if (!_lines.TryGetValue(sessionId, out var line))
                {
                    return;
                }

                (activity, line.Shown, line.Next, line.Waiting, line.WrittenAt) = (line.Next, line.Next, null, false, clock.GetUtcNow());
            }

            if (activity is not null)
            {
                await active.NoteActivityAsync(sessionId, activity, clock.GetUtcNow(), CancellationToken.None);
                feed.Pulse(workspaceId);
            }
        }
        catch (Exception e) when (e is Azure.RequestFailedException or OperationCanceledException)
        {
            // A card's activity line is a courtesy: the next one is written with the next events.
            logger.LogDebug(e, "Activity of session {SessionId} not written", sessionId);
        }
    }
}

namespace Konduktor.Core.Sessions;

/// <summary>
/// Wakes log followers in this process the moment a batch lands or a session ends, so a long poll answers in
/// milliseconds instead of at its next storage re-read. Other instances fall back to re-reading each second.
/// </summary>
public sealed class SessionSignals
{
    private readonly Lock _gate = new();
    private readonly Dictionary<Guid, (long Version, TaskCompletionSource Changed)> _sessions = [];

    public long Version(Guid sessionId)
    {
        lock (_gate)
        {
            return _sessions.TryGetValue(sessionId, out var entry) ? entry.Version : 0;
        }
    }

    public void Pulse(Guid sessionId, bool final = false)
    {
        TaskCompletionSource? changed;
        lock (_gate)
        {
            changed = _sessions.TryGetValue(sessionId, out var entry) ? entry.Changed : null;
            if (final)
            {
                _sessions.Remove(sessionId);
            }
            else
            {
                _sessions[sessionId] = (entry.Version + 1, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
            }
        }

        changed?.TrySetResult();
    }

    /// <summary>Waits until the session changes after <paramref name="seenVersion"/>, or the timeout passes.</summary>
    public async Task WaitAsync(Guid sessionId, long seenVersion, TimeSpan timeout, CancellationToken ct)
    {
        Task changed;
        lock (_gate)
        {
            if (!_sessions.TryGetValue(sessionId, out var entry))
            {
                entry = (0, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
                _sessions[sessionId] = entry;
            }

            if (entry.Version != seenVersion)
            {
                return;
            }

            changed = entry.Changed.Task;
        }

        await Task.WhenAny(changed, Task.Delay(timeout, ct));
        ct.ThrowIfCancellationRequested();
    }
}

namespace Konduktor.Runner.Listener;

/// <summary>
/// The runner's hold on the sessions it runs, renewed by every heartbeat Konduktor accepts. Konduktor orphans a
/// runner's sessions when it has not heard from it for the lease window (so a resume may start them elsewhere); the
/// runner stops its own agents at two thirds of the window, so two agents never work on one task's branch.
/// It reads the wall clock, not a monotonic one: a laptop's monotonic clock stands still while it sleeps, and the
/// janitor's does not.
/// </summary>
public sealed class RunnerLease(TimeProvider clock)
{
    private const double StopAt = 2.0 / 3;
    private static readonly TimeSpan FirstRetry = TimeSpan.FromMilliseconds(500);
    private DateTimeOffset _renewedAt = clock.GetUtcNow();
    private int _failures;

    /// <summary>What Konduktor last said the window is (its janitor's orphan window); two minutes until it says.</summary>
    public TimeSpan Window { get; private set; } = TimeSpan.FromMinutes(2);

    public TimeSpan SinceRenewal => clock.GetUtcNow() - _renewedAt;

    /// <summary>Too long without a renewal: the runner stops its agents and takes no new work until Konduktor answers again.</summary>
    public bool Lapsed => SinceRenewal > Window * StopAt;

    /// <summary>When the runner's agents must have stopped unless the lease is renewed first (what each agent's supervisor holds to).</summary>
    public DateTimeOffset Deadline => _renewedAt + (Window * StopAt);

    /// <summary>Why a session ended when the lease lapsed, for its report and log.</summary>
    public string LapsedReason(string runner) =>
        $"runner {runner} could not reach Konduktor for {SinceRenewal.TotalSeconds:0} s (its lease is {Window.TotalSeconds:0} s), so it stopped the agent before the session could be given to another runner";

    /// <summary>A heartbeat sent at <paramref name="sentAt"/> was accepted.</summary>
    public void Renewed(DateTimeOffset sentAt, int leaseSeconds)
    {
        _renewedAt = sentAt > _renewedAt ? sentAt : _renewedAt;
        _failures = 0;
        if (leaseSeconds > 0)
        {
            Window = TimeSpan.FromSeconds(leaseSeconds);
        }
    }

    public void Failed() => _failures++;

    /// <summary>
    /// How long to wait before the next heartbeat: the usual interval (never more than a quarter of the window), and
    /// after failures a jittered backoff from half a second, so a fleet does not knock all at once when the API returns.
    /// </summary>
    public TimeSpan NextDelay(TimeSpan usual)
    {
        var most = usual < Window / 4 ? usual : Window / 4;
        if (_failures == 0)
        {
            return most;
        }

        var backoff = FirstRetry * Math.Pow(2, Math.Min(_failures - 1, 10));
        var jittered = backoff * (0.8 + (Random.Shared.NextDouble() * 0.4));
        return jittered < most ? jittered : most;
    }
}

using Konduktor.Core.Quota;
using Konduktor.Core.Runners;
using Konduktor.Runner.Listener;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Konduktor.Tests.Runners;

/// <summary>
/// The runner's clocks, driven by a fake clock instead of waits: its lease on its sessions and its heartbeat's backoff,
/// and the usage limit it holds to. (The end-to-end lease tests run the same parts as real processes.)
/// </summary>
public sealed class RunnerTimingTests
{
    private static readonly DateTimeOffset Start = new(2026, 12, 7, 9, 0, 0, TimeSpan.Zero);

    [Fact]
    public void A_lease_lapses_at_two_thirds_of_the_window_konduktor_names_and_a_later_renewal_holds_it_again()
    {
        var clock = new FakeTimeProvider(Start);
        var lease = new RunnerLease(clock);
        lease.Renewed(clock.GetUtcNow(), 30);

        clock.Advance(TimeSpan.FromSeconds(19));
        Assert.False(lease.Lapsed);
        Assert.Equal(Start + TimeSpan.FromSeconds(20), lease.Deadline);
        clock.Advance(TimeSpan.FromSeconds(2));
        Assert.True(lease.Lapsed);
        Assert.Contains("could not reach Konduktor for 21 s (its lease is 30 s)", lease.LapsedReason("box"), StringComparison.Ordinal);

        var sent = clock.GetUtcNow();
        clock.Advance(TimeSpan.FromSeconds(1));
        lease.Renewed(sent, 0);
        Assert.False(lease.Lapsed);
        Assert.Equal(TimeSpan.FromSeconds(30), lease.Window);

        // A reply to an older heartbeat arriving late never moves the lease back.
        lease.Renewed(Start, 30);
        Assert.Equal(sent + TimeSpan.FromSeconds(20), lease.Deadline);
    }

    [Fact]
    public void Heartbeats_come_every_interval_but_never_less_often_than_a_quarter_of_the_lease_and_sooner_after_a_failure()
    {
        var clock = new FakeTimeProvider(Start);
        var lease = new RunnerLease(clock);
        lease.Renewed(clock.GetUtcNow(), 20);

        Assert.Equal(TimeSpan.FromSeconds(2), lease.NextDelay(TimeSpan.FromSeconds(2)));
        Assert.Equal(TimeSpan.FromSeconds(5), lease.NextDelay(TimeSpan.FromSeconds(15)));
        lease.Failed();
        Assert.InRange(lease.NextDelay(TimeSpan.FromSeconds(15)), TimeSpan.FromMilliseconds(400), TimeSpan.FromMilliseconds(600));
        lease.Failed();
        lease.Failed();
        Assert.InRange(lease.NextDelay(TimeSpan.FromSeconds(15)), TimeSpan.FromMilliseconds(1600), TimeSpan.FromMilliseconds(2400));
        lease.Renewed(clock.GetUtcNow(), 20);
        Assert.Equal(TimeSpan.FromSeconds(5), lease.NextDelay(TimeSpan.FromSeconds(15)));
    }

    [Fact]
    public void A_runner_holds_to_the_latest_usage_limit_it_learns_until_its_reset_passes()
    {
        var clock = new FakeTimeProvider(Start);
        var options = new RunnerOptions { ApiUrl = new Uri("http://127.0.0.1:1"), Name = "box", Capacity = 1, AgentCommand = ["claude"], WorkDirectory = Path.GetTempPath(), Account = "a@example.com" };
        var state = new RunnerState(options, clock, NullLogger<RunnerState>.Instance);

        state.NoteQuotaUntil(Start + TimeSpan.FromMinutes(30));
        state.NoteQuotaUntil(Start + TimeSpan.FromMinutes(10));
        state.NoteAccountLimit(new HeartbeatReply([], AccountLimit: new UsageLimit(UsageLimit.Warning, "five_hour", Start + TimeSpan.FromHours(2))));
        Assert.Equal(Start + TimeSpan.FromMinutes(30), state.QuotaUntil);

        clock.Advance(TimeSpan.FromMinutes(29));
        Assert.NotNull(state.QuotaUntil);
        clock.Advance(TimeSpan.FromMinutes(2));
        Assert.Null(state.QuotaUntil);

        state.NoteAccountLimit(new HeartbeatReply([], AccountLimit: new UsageLimit(UsageLimit.Rejected, "five_hour", clock.GetUtcNow() + TimeSpan.FromHours(1))));
        Assert.Equal(clock.GetUtcNow() + TimeSpan.FromHours(1), state.QuotaUntil);
        Assert.Equal(TimeSpan.FromMinutes(31), state.SinceActivity);
        state.NoteActivity();
        Assert.Equal(TimeSpan.Zero, state.SinceActivity);
        clock.Advance(TimeSpan.FromSeconds(12));
        Assert.Equal(TimeSpan.FromSeconds(12), state.SinceActivity);
    }
}

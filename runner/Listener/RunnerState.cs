using System.Collections.Concurrent;
using Konduktor.Core.Runners;
using Microsoft.Extensions.Logging;

namespace Konduktor.Runner.Listener;

/// <summary>
/// What the listener's parts share: the sessions this runner runs, its agent and sandbox as the preflight found them,
/// the account's usage limit as far as the runner knows it, and when it last had work.
/// </summary>
public sealed class RunnerState(RunnerOptions options, TimeProvider clock, ILogger<RunnerState> logger)
{
    private long _quotaUntilTicks;
    private long _lastActivity = clock.GetTimestamp();

    public ConcurrentDictionary<Guid, Task> Running { get; } = new();

    public ConcurrentDictionary<Guid, SessionExecution> Executions { get; } = new();

    public Guid? RunnerId { get; set; }

    /// <summary>What the preflight found of the agent; null until it ran.</summary>
    public AgentReadiness? Agent { get; set; }

    /// <summary>How agents are kept from Konduktor's files here; found with the agent's preflight.</summary>
    public AgentSandbox? Sandbox { get; set; }

    /// <summary>What the last worktree cleanup said, for the heartbeat.</summary>
    public string? Note { get; set; }

    /// <summary>The Claude account its agents use, as a label: as given, else the agent's signed-in email, else user@host.</summary>
    public string Account => options.Account ?? Agent?.Email ?? $"{Environment.UserName}@{Environment.MachineName}";

    /// <summary>Until when the account is at its usage limit, as far as this runner knows; the runner takes no job before then.</summary>
    public DateTimeOffset? QuotaUntil => Interlocked.Read(ref _quotaUntilTicks) is var ticks and > 0 && new DateTimeOffset(ticks, TimeSpan.Zero) is var until && until > clock.GetUtcNow() ? until : null;

    /// <summary>The account is at its usage limit until then (the latest word wins only if it is later).</summary>
    public void NoteQuotaUntil(DateTimeOffset until)
    {
        var ticks = until.UtcTicks;
        long seen;
        do
        {
            seen = Interlocked.Read(ref _quotaUntilTicks);
            if (seen >= ticks)
            {
                return;
            }
        }
        while (Interlocked.CompareExchange(ref _quotaUntilTicks, ticks, seen) != seen);
        logger.LogWarning("Account {Account} is at its usage limit until {Until:u}: this runner starts no session before then", Account, until);
    }

    /// <summary>What Konduktor knows of the account's limit (another runner using it may have met it first).</summary>
    public void NoteAccountLimit(HeartbeatReply reply)
    {
        if (reply.AccountLimit is { IsRejected: true, ResetsAt: { } until })
        {
            NoteQuotaUntil(until);
        }
    }

    /// <summary>A job was taken or a session ended: more tends to follow.</summary>
    public void NoteActivity() => Interlocked.Exchange(ref _lastActivity, clock.GetTimestamp());

    public TimeSpan SinceActivity => clock.GetElapsedTime(Interlocked.Read(ref _lastActivity));
}

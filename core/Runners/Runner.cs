using System.Runtime.Serialization;
using System.Text.Json;
using Azure;
using Azure.Data.Tables;

namespace Konduktor.Core.Runners;

/// <summary>A machine that takes session jobs. Online while it heartbeats.</summary>
public sealed record RunnerInfo
{
    public required Guid Id { get; init; }

    public required string Name { get; init; }

    public string? Host { get; init; }

    public string? Version { get; init; }

    public required int Capacity { get; init; }

    public required IReadOnlyList<Guid> ActiveSessions { get; init; }

    public required DateTimeOffset RegisteredAt { get; init; }

    public DateTimeOffset? LastHeartbeatAt { get; init; }

    public required bool Online { get; init; }

    /// <summary>Storage requests the runner itself made (queue polls), as its counting policy reported them.</summary>
    public long StorageOperations { get; init; }

    /// <summary>Worktree disk use and kept worktrees, as the runner last reported (filled in by the cleanup).</summary>
    public string? Note { get; init; }

    /// <summary>The agent it runs, as its preflight found it ("Claude Code 2.1.328, signed in with an API key").</summary>
    public string? Agent { get; init; }

    /// <summary>Why it cannot run sessions now (the agent is missing or not signed in), with the fix; null when it can.</summary>
    public string? AgentProblem { get; init; }

    /// <summary>The Claude account its agents use, as a label (never a secret): runners with the same one share its usage limits.</summary>
    public string? Account { get; init; }

    /// <summary>The usage limit its account is at, or close to (a warning), until its reset; not stored with the runner.</summary>
    public Quota.AccountLimit? AccountLimit { get; init; }

    /// <summary>Online, and its agent can run: it takes jobs.</summary>
    public bool Ready => Online && AgentProblem is null;

    public string ShortId => Core.ShortId.Of(Id);
}

public sealed record RegisterRunner
{
    public required string Name { get; init; }

    public int Capacity { get; init; } = 2;

    public string? Host { get; init; }

    public string? Version { get; init; }

    public string? Agent { get; init; }

    public string? AgentProblem { get; init; }

    /// <summary>The Claude account its agents use, as a label (an email address, a team's name; never a secret).</summary>
    public string? Account { get; init; }
}

/// <summary>A registration an admin made for a runner: its one-time secret, shown once.</summary>
public sealed record RunnerTicket(string Name, string Secret, DateTimeOffset ExpiresAt);

public sealed record NewRunnerTicket(string Name);

/// <summary>What a runner gets once: its credential and where to read jobs.</summary>
/// <param name="QueueUrl">Null when the runner reads jobs through the API (<c>runner/jobs/receive</c>).</param>
/// <param name="LeaseSeconds">The lease each heartbeat renews (see <see cref="HeartbeatReply"/>), known before the runner takes any work.</param>
public sealed record RunnerRegistration(Guid RunnerId, string Name, string Token, int HeartbeatSeconds, Uri? QueueUrl = null, DateTimeOffset? QueueUrlExpiresAt = null, int LeaseSeconds = 0);

public sealed record RunnerHeartbeat
{
    public IReadOnlyList<Guid> ActiveSessions { get; init; } = [];

    public int Capacity { get; init; }

    public long StorageOperations { get; init; }

    public string? Note { get; init; }

    public string? Agent { get; init; }

    public string? AgentProblem { get; init; }

    /// <summary>When the runner's queue URL expires; a fresh one comes back when it is close.</summary>
    public DateTimeOffset? QueueUrlExpiresAt { get; init; }

    public string? Account { get; init; }
}

/// <param name="StopSessions">Sessions this runner runs that must be stopped.</param>
/// <param name="QueueUrl">A fresh queue URL when the runner's is close to expiring.</param>
/// <param name="LostSessions">Sessions the runner said it runs that are no longer its own (orphaned, or ended): it stops their agents at once.</param>
/// <param name="LeaseSeconds">
/// The lease a heartbeat renews: a runner that has not renewed it for this long has its sessions orphaned, so it stops
/// their agents itself before then.
/// </param>
/// <param name="AccountLimit">The usage limit the runner's account is at (rejected), until its reset: the runner starts no session before then.</param>
public sealed record HeartbeatReply(IReadOnlyList<Guid> StopSessions, Uri? QueueUrl = null, DateTimeOffset? QueueUrlExpiresAt = null, IReadOnlyList<Guid>? LostSessions = null, int LeaseSeconds = 0,
    Quota.UsageLimit? AccountLimit = null);

/// <summary>PartitionKey <c>registration</c>, RowKey = the runner's name: a pending one-time registration.</summary>
internal sealed class RunnerTicketEntity : ITableEntity
{
    public const string Partition = "registration";

    public string PartitionKey { get; set; } = Partition;

    public string RowKey { get; set; } = "";

    public DateTimeOffset? Timestamp { get; set; }

    public ETag ETag { get; set; }

    public string SecretHash { get; set; } = "";

    public DateTimeOffset ExpiresAt { get; set; }

    public string CreatedBy { get; set; } = "";
}

internal sealed class RunnerEntity : ITableEntity
{
    public const string Partition = "runner";

    public string PartitionKey { get; set; } = Partition;

    public string RowKey { get; set; } = "";

    public DateTimeOffset? Timestamp { get; set; }

    public ETag ETag { get; set; }

    public string Name { get; set; } = "";

    public string? Host { get; set; }

    public string? Version { get; set; }

    public int Capacity { get; set; }

    public string TokenHash { get; set; } = "";

    public string ActiveSessions { get; set; } = "[]";

    public DateTimeOffset RegisteredAt { get; set; }

    public DateTimeOffset? LastHeartbeatAt { get; set; }

    public long StorageOperations { get; set; }

    public string? Note { get; set; }

    public string? Agent { get; set; }

    public string? AgentProblem { get; set; }

    public string? Account { get; set; }

    [IgnoreDataMember]
    public Guid Id => Guid.Parse(RowKey);

    public RunnerInfo ToInfo(DateTimeOffset now, TimeSpan onlineWindow) => new()
    {
        Id = Id,
        Name = Name,
        Host = Host,
        Version = Version,
        Capacity = Capacity,
        ActiveSessions = JsonSerializer.Deserialize<Guid[]>(ActiveSessions) ?? [],
        RegisteredAt = RegisteredAt,
        LastHeartbeatAt = LastHeartbeatAt,
        Online = LastHeartbeatAt is { } last && now - last < onlineWindow,
        StorageOperations = StorageOperations,
        Note = Note,
        Agent = Agent,
        AgentProblem = AgentProblem,
        Account = Account,
    };
}

using System.Runtime.Serialization;
using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using Konduktor.Core.Json;

namespace Konduktor.Core.Sessions;

/// <summary>PartitionKey = workspace UUID; RowKey = session UUID (short ids are range queries, as for tasks).</summary>
internal sealed class SessionEntity : ITableEntity
{
    public string PartitionKey { get; set; } = "";

    public string RowKey { get; set; } = "";

    public DateTimeOffset? Timestamp { get; set; }

    public ETag ETag { get; set; }

    public string? TaskId { get; set; }

    /// <summary>The scheduled agent this session runs, for a <c>scheduled-agent</c> session.</summary>
    public string? AgentName { get; set; }

    /// <summary>A scheduled agent's own model and limits, fixed when its run was queued.</summary>
    public string? Model { get; set; }

    public int? MaxTurns { get; set; }

    public double? MaxBudgetUsd { get; set; }

    /// <summary>A scheduled agent's daily budget when its run was queued: the run may spend only what the day has left.</summary>
    public double? AgentDailyBudgetUsd { get; set; }

    public string Kind { get; set; } = "";

    public string Status { get; set; } = "";

    public string? Message { get; set; }

    /// <summary>Who started it: the person (or agent) who ran or resumed the task, or Konduktor itself.</summary>
    public string? StartedBy { get; set; }

    public string? RunnerId { get; set; }

    public string? RunnerName { get; set; }

    public string? ClaudeSessionId { get; set; }

    public string? Branch { get; set; }

    /// <summary>SHA-256 of the agent's session token: the token itself is given to the runner once, at claim.</summary>
    public string? TokenHash { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset? ClaimedAt { get; set; }

    public DateTimeOffset? StartedAt { get; set; }

    public DateTimeOffset? EndedAt { get; set; }

    public int? ExitCode { get; set; }

    public string? Error { get; set; }

    public string? Outcome { get; set; }

    public long? LastSequence { get; set; }

    /// <summary>A person asked for the session to stop; its runner learns it from its next heartbeat.</summary>
    public DateTimeOffset? StopRequestedAt { get; set; }

    public string? Account { get; set; }

    public DateTimeOffset? QuotaResetsAt { get; set; }

    public DateTimeOffset? ResumesAt { get; set; }

    public int Continuations { get; set; }

    /// <summary>What a person said when they resumed it by hand while it waited for quota (its next run is told).</summary>
    public string? ContinueWith { get; set; }

    [IgnoreDataMember]
    public SessionStatus StatusValue
    {
        get => Enum.Parse<SessionStatus>(Status);
        set => Status = value.ToString();
    }

    [IgnoreDataMember]
    public SessionKind KindValue => Enum.Parse<SessionKind>(Kind);

    [IgnoreDataMember]
    public Guid Id => Guid.Parse(RowKey);

    [IgnoreDataMember]
    public Guid WorkspaceId => Guid.Parse(PartitionKey);

    public Session ToSession() => new()
    {
        Id = Id,
        WorkspaceId = WorkspaceId,
        TaskId = TaskId is null ? null : Guid.Parse(TaskId),
        AgentName = AgentName,
        Kind = KindValue,
        Status = StatusValue,
        Message = Message,
        StartedBy = StartedBy,
        RunnerId = RunnerId is null ? null : Guid.Parse(RunnerId),
        RunnerName = RunnerName,
        ClaudeSessionId = ClaudeSessionId,
        Branch = Branch,
        CreatedAt = CreatedAt,
        ClaimedAt = ClaimedAt,
        StartedAt = StartedAt,
        EndedAt = EndedAt,
        ExitCode = ExitCode,
        Error = Error,
        Outcome = Outcome is null ? null : KonduktorJson.Deserialize<SessionOutcome>(Outcome),
        LastSequence = LastSequence,
        StopRequestedAt = StopRequestedAt,
        Account = Account,
        QuotaResetsAt = QuotaResetsAt,
        ResumesAt = ResumesAt,
        Continuations = Continuations,
        Version = ETag.ToString(),
    };
}

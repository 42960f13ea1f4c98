using System.Runtime.Serialization;
using System.Text.Json.Serialization;
using System.Text.Json;
using Azure.Data.Tables;
using Azure;
using Konduktor.Core.Json;
using Konduktor.Core.Storage;

namespace Konduktor.Core.Projects;

[JsonConverter(typeof(JsonEnumName<ProjectStatus>))]
public enum ProjectStatus
{
    Draft,
    Active,
    Completed,
}

/// <summary>Where a phase stands. Phases open one after another; each ends with a review a person approves.</summary>
[JsonConverter(typeof(JsonEnumName<PhaseState>))]
public enum PhaseState
{
    Waiting,
    Open,
    AwaitingReview,
    Approved,
}

/// <summary>A feature too large for one task: ordered phases of tasks, run phase by phase behind a review gate.</summary>
public sealed record Project
{
    public required Guid Id { get; init; }

    public required Guid WorkspaceId { get; init; }

    public required string Title { get; init; }

    public string? Spec { get; init; }

    public required IReadOnlyList<string> Tags { get; init; }

    public required ProjectStatus Status { get; init; }

    public required bool AutoRun { get; init; }

    public required IReadOnlyList<PhaseView> Phases { get; init; }

    /// <summary>What keeps the next phase from opening, in words; null when nothing does.</summary>
    public string? Blocking { get; init; }

    public required DateTimeOffset CreatedAt { get; init; }

    public required DateTimeOffset UpdatedAt { get; init; }

    /// <summary>When the orchestration completed the project, after the last phase's approval.</summary>
    public DateTimeOffset? CompletedAt { get; init; }

    public required string Version { get; init; }

    public string ShortId => Core.ShortId.Of(Id);
}

/// <param name="Number">1-based, in order.</param>
/// <param name="OpenedAt">When the project's orchestration opened the phase (and, with auto-run, ran its tasks).</param>
/// <param name="ReviewRequestedAt">When the orchestration saw every task Done and put the phase up for review.</param>
public sealed record PhaseView(Guid Id, int Number, string Title, PhaseState State, int TasksDone, int TasksTotal, IReadOnlyList<PhaseTask> Tasks, string? Description = null, DateTimeOffset? ApprovedAt = null, string? ApprovalNote = null, DateTimeOffset? OpenedAt = null, DateTimeOffset? ReviewRequestedAt = null);

/// <summary>A task of a phase as the project page shows it: where it is, its pull request, its checks and review, what it cost.</summary>
public sealed record PhaseTask(Guid Id, string ShortId, string Title, string Status, string? SessionStatus = null, int? PullRequestNumber = null, string? PullRequestUrl = null,
    string? ChecksState = null, string? ReviewState = null, decimal CostUsd = 0, Guid? LatestSessionId = null);

/// <summary>
/// A phase up for review, as one change: every file its tasks changed (with which tasks changed it), their lines added
/// and removed, and each task's own files, commits and final words. Each task's diff is its own (<c>tasks changes</c>).
/// </summary>
public sealed record PhaseReview(Guid ProjectId, int Phase, string Title, PhaseState State, IReadOnlyList<PhaseFile> Files, int Added, int Removed, int Commits, IReadOnlyList<PhaseTaskReview> Tasks);

/// <param name="Tasks">The short ids of the tasks that changed the file.</param>
public sealed record PhaseFile(string Path, int? Added, int? Removed, IReadOnlyList<string> Tasks);

/// <param name="Summary">The agent's final words in the task's latest session.</param>
/// <param name="Changes">Its branch's files and commits against the base; null until a session kept them.</param>
public sealed record PhaseTaskReview(Guid Id, string ShortId, string Title, string Status, string? Summary, decimal CostUsd, Changes.ChangeSet? Changes);

public sealed record NewProject
{
    public required string Title { get; init; }

    public string? Spec { get; init; }

    public IReadOnlyList<string>? Tags { get; init; }

    /// <summary>Phase titles, in order (more can be added later).</summary>
    public IReadOnlyList<string>? Phases { get; init; }

    public bool? AutoRun { get; init; }
}

public sealed record NewPhase(string Title, string? Description = null);

/// <summary>A change to a phase: fields left null stay; <see cref="MoveTo"/> is the new 1-based position.</summary>
public sealed record PhaseChanges(string? Title = null, string? Description = null, int? MoveTo = null);

public sealed record ProjectTags(IReadOnlyList<string>? Add = null, IReadOnlyList<string>? Remove = null);

public sealed record Approval(int? Phase = null, string? Note = null);

/// <summary>A phase as stored in its project's row.</summary>
internal sealed record StoredPhase(Guid Id, string Title, string? Description = null, DateTimeOffset? ApprovedAt = null, string? ApprovalNote = null, DateTimeOffset? OpenedAt = null, DateTimeOffset? ReviewRequestedAt = null);

/// <summary>PartitionKey = workspace UUID, RowKey = project UUID; phases as JSON in the row, the spec as large text.</summary>
internal sealed class ProjectEntity : ITableEntity
{
    public string PartitionKey { get; set; } = "";

    public string RowKey { get; set; } = "";

    public DateTimeOffset? Timestamp { get; set; }

    public ETag ETag { get; set; }

    public string Title { get; set; } = "";

    public string? Spec { get; set; }

    public string? SpecBlob { get; set; }

    public string Tags { get; set; } = "[]";

    public string Status { get; set; } = nameof(ProjectStatus.Draft);

    public bool AutoRun { get; set; }

    public string Phases { get; set; } = "[]";

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }

    public DateTimeOffset? CompletedAt { get; set; }

    [IgnoreDataMember]
    public StoredText StoredSpec => new(Spec, SpecBlob);

    [IgnoreDataMember]
    public List<StoredPhase> PhaseList
    {
        get => KonduktorJson.Deserialize<List<StoredPhase>>(Phases) ?? [];
        set => Phases = KonduktorJson.Serialize(value);
    }

    [IgnoreDataMember]
    public ProjectStatus StatusValue
    {
        get => Enum.Parse<ProjectStatus>(Status);
        set => Status = value.ToString();
    }
}

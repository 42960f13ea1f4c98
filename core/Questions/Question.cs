using System.Text.Json.Serialization;
using Azure.Data.Tables;
using Azure;
using Konduktor.Core.Json;

namespace Konduktor.Core.Questions;

[JsonConverter(typeof(JsonEnumName<QuestionStatus>))]
public enum QuestionStatus
{
    /// <summary>Waiting for a person (for an assumption: not yet confirmed or corrected).</summary>
    Open,
    Answered,
    Dismissed,

    /// <summary>An assumption the person agreed with.</summary>
    Confirmed,
}

/// <summary>
/// A question an agent (or a person) asks a person, about a task, a project or the workspace. A blocking question
/// waits for its answer; an assumption records what the agent assumed and went on with — the person confirms it,
/// or corrects it (an answer), which resumes the task.
/// </summary>
public sealed record Question
{
    public required Guid Id { get; init; }

    public required Guid WorkspaceId { get; init; }

    public required string Text { get; init; }

    /// <summary>Set for a non-blocking question: what the agent assumed and went on with.</summary>
    public string? Assumption { get; init; }

    public Guid? TaskId { get; init; }

    public Guid? ProjectId { get; init; }

    public required QuestionStatus Status { get; init; }

    /// <summary>Who asked: a person, or an agent's session.</summary>
    public required string AskedBy { get; init; }

    /// <summary>The session that asked, when an agent did.</summary>
    public Guid? AskedBySessionId { get; init; }

    /// <summary>The scheduled agent that asked (it sees the answer on its next run).</summary>
    public string? AgentName { get; init; }

    public required DateTimeOffset AskedAt { get; init; }

    public string? Answer { get; init; }

    public string? AnsweredBy { get; init; }

    public DateTimeOffset? AnsweredAt { get; init; }

    /// <summary>The resume session the answer started, if it started one.</summary>
    public Guid? ResumeSessionId { get; init; }

    /// <summary>Why the answer did not resume the task (e.g. it has a session running), when it did not.</summary>
    public string? ResumeNote { get; init; }

    /// <summary>The issue the question was also asked on (its task was made from it), where a person may answer it.</summary>
    public int? MirroredOnIssue { get; init; }

    public required string Version { get; init; }

    public string ShortId => Core.ShortId.Of(Id);

    [JsonIgnore]
    public bool IsOpen => Status == QuestionStatus.Open;
}

/// <param name="Task">A task id (prefix); inside a session it defaults to the session's task.</param>
/// <param name="Assumption">Makes it non-blocking: what the asker assumed and went on with.</param>
public sealed record NewQuestion(string Text, string? Task = null, string? Project = null, string? Assumption = null);

/// <param name="Resume">Start a resume session of the asking task with the answer; default: yes when a task's session asked.</param>
public sealed record QuestionAnswer(string Text, bool? Resume = null);

public sealed record QuestionFilter(bool OpenOnly = false, string? Task = null);

/// <summary>PartitionKey = workspace UUID, RowKey = question UUID.</summary>
internal sealed class QuestionEntity : ITableEntity
{
    public string PartitionKey { get; set; } = "";

    public string RowKey { get; set; } = "";

    public DateTimeOffset? Timestamp { get; set; }

    public ETag ETag { get; set; }

    public string Text { get; set; } = "";

    public string? Assumption { get; set; }

    public string? TaskId { get; set; }

    public string? ProjectId { get; set; }

    public string Status { get; set; } = nameof(QuestionStatus.Open);

    public string AskedBy { get; set; } = "";

    public string? AskedBySessionId { get; set; }

    public string? AgentName { get; set; }

    public DateTimeOffset AskedAt { get; set; }

    public string? Answer { get; set; }

    public string? AnsweredBy { get; set; }

    public DateTimeOffset? AnsweredAt { get; set; }

    public string? ResumeSessionId { get; set; }

    public string? ResumeNote { get; set; }

    public int? MirroredOnIssue { get; set; }

    [System.Runtime.Serialization.IgnoreDataMember]
    public QuestionStatus StatusValue
    {
        get => Enum.Parse<QuestionStatus>(Status);
        set => Status = value.ToString();
    }

    public Question ToQuestion() => new()
    {
        Id = Guid.Parse(RowKey),
        WorkspaceId = Guid.Parse(PartitionKey),
        Text = Text,
        Assumption = Assumption,
        TaskId = TaskId is null ? null : Guid.Parse(TaskId),
        ProjectId = ProjectId is null ? null : Guid.Parse(ProjectId),
        Status = StatusValue,
        AskedBy = AskedBy,
        AskedBySessionId = AskedBySessionId is null ? null : Guid.Parse(AskedBySessionId),
        AgentName = AgentName,
        AskedAt = AskedAt,
        Answer = Answer,
        AnsweredBy = AnsweredBy,
        AnsweredAt = AnsweredAt,
        ResumeSessionId = ResumeSessionId is null ? null : Guid.Parse(ResumeSessionId),
        ResumeNote = ResumeNote,
        MirroredOnIssue = MirroredOnIssue,
        Version = ETag.ToString(),
    };
}

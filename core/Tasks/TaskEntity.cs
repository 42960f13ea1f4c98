using System.Runtime.Serialization;
using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using Konduktor.Core.Json;
using Konduktor.Core.Storage;

namespace Konduktor.Core.Tasks;

/// <summary>PartitionKey = workspace UUID (a board is one partition query); RowKey = task UUID (short ids are range queries).</summary>
internal sealed class TaskEntity : ITableEntity
{
    /// <summary>The columns a listing reads: everything but the description's text.</summary>
    public static readonly string[] ListColumns =
        ["PartitionKey", "RowKey", "Timestamp", "Title", "DescriptionLength", "Status", "Tags", "Priority", "Rank", "CreatedAt", "CreatedBy", "UpdatedAt", "StatusChangedAt",
         "Branch", "ActiveSessionId", "LatestSessionId", "LatestSessionStatus", "LatestSessionError", "SessionCount", "ClaudeSessionId", "PullRequestNumber", "PullRequestUrl", "ChecksState", "ReviewState", "Note", "ProjectId", "PhaseId", "CostUsd", "InputTokens", "OutputTokens", "QuotaResetsAt", "ResumesAt", "BudgetUsd", "BlockedBy", "AutoRun", "IssueNumber", "IssueUrl"];

    public string PartitionKey { get; set; } = "";

    public string RowKey { get; set; } = "";

    public DateTimeOffset? Timestamp { get; set; }

    public ETag ETag { get; set; }

    public string Title { get; set; } = "";

    public string? Description { get; set; }

    public string? DescriptionBlob { get; set; }

    public int DescriptionLength { get; set; }

    public string Status { get; set; } = "";

    public string Tags { get; set; } = "[]";

    public string Priority { get; set; } = nameof(Core.Priority.None);

    public double Rank { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }

    /// <summary>Who created the task: a person, or an agent's session.</summary>
    public string? CreatedBy { get; set; }

    /// <summary>The task's branch, named at its first run and kept for every later session.</summary>
    public string? Branch { get; set; }

    /// <summary>The session that is queued, claimed or running, if any: a task runs one session at a time.</summary>
    public string? ActiveSessionId { get; set; }

    public string? LatestSessionId { get; set; }

    public string? LatestSessionStatus { get; set; }

    /// <summary>Why the latest session failed, when it did: the card says so.</summary>
    public string? LatestSessionError { get; set; }

    public int SessionCount { get; set; }

    /// <summary>The task's Claude conversation, as its latest session reported it: what a resume continues.</summary>
    public string? ClaudeSessionId { get; set; }

    public int? PullRequestNumber { get; set; }

    /// <summary>The project and phase the task belongs to, if any (phase by its id, so phases can be reordered).</summary>
    public string? ProjectId { get; set; }

    public string? PhaseId { get; set; }

    public string? PullRequestUrl { get; set; }

    /// <summary>The pull request's head commit, as GitHub last said.</summary>
    public string? PullRequestHead { get; set; }

    /// <summary>The head commit's checks: pending, passing or failing (null: none known).</summary>
    public string? ChecksState { get; set; }

    /// <summary>The latest decisive review: approved or changes_requested (null: none).</summary>
    public string? ReviewState { get; set; }

    /// <summary>JSON of the head commit's failing checks (name and link), as the reconciler last read them.</summary>
    public string? FailingChecks { get; set; }

    /// <summary>When the task last changed column, by anyone: an older GitHub event does not move it back.</summary>
    public DateTimeOffset? StatusChangedAt { get; set; }

    /// <summary>Automatic fix sessions started in a row (a person's run or resume resets it).</summary>
    public int AutoFixStreak { get; set; }

    /// <summary>An automatic fix waiting for the task's running session to end: JSON of its kind and prompt.</summary>
    public string? PendingAutoFix { get; set; }

    /// <summary>Something Konduktor wants the person to see on the task (e.g. why auto-fix stopped).</summary>
    public string? Note { get; set; }

    /// <summary>Summed over the task's sessions (stored as a double: Table Storage has no decimal).</summary>
    public double CostUsd { get; set; }

    public long InputTokens { get; set; }

    public long OutputTokens { get; set; }

    /// <summary>Its session waits for quota: when the usage limit is over, and when Konduktor continues it (null: by hand).</summary>
    public DateTimeOffset? QuotaResetsAt { get; set; }

    public DateTimeOffset? ResumesAt { get; set; }

    /// <summary>What the task may spend over all its sessions; null: the workspace's default.</summary>
    public double? BudgetUsd { get; set; }

    /// <summary>What the task's current Claude conversation had cost when its last run ended (Claude Code's own total).</summary>
    public double? ConversationCostUsd { get; set; }

    /// <summary>JSON of the ids of the tasks this one waits for (null: none); see <see cref="TaskDependencies"/>.</summary>
    public string? BlockedBy { get; set; }

    /// <summary>Start by itself once no blocker is unfinished; cleared when any run of it starts.</summary>
    public bool AutoRun { get; set; }

    /// <summary>The GitHub issue the task was made from (its repository's), when it was.</summary>
    public int? IssueNumber { get; set; }

    public string? IssueUrl { get; set; }

    [IgnoreDataMember]
    public StoredText StoredDescription => new(Description, DescriptionBlob);

    [IgnoreDataMember]
    public IReadOnlyList<string> TagList => JsonSerializer.Deserialize<string[]>(Tags) ?? [];

    [IgnoreDataMember]
    public Priority PriorityValue => Enum.TryParse<Priority>(Priority, out var value) ? value : Core.Priority.None;

    public TaskItem ToTask(string? description) => new()
    {
        Id = Guid.Parse(RowKey),
        WorkspaceId = Guid.Parse(PartitionKey),
        Title = Title,
        Description = description,
        DescriptionLength = DescriptionLength,
        Status = Status,
        Tags = TagList,
        Priority = PriorityValue,
        Rank = Rank,
        CreatedAt = CreatedAt,
        CreatedBy = CreatedBy,
        UpdatedAt = UpdatedAt,
        StatusChangedAt = StatusChangedAt,
        Version = ETag.ToString(),
        Branch = Branch,
        LatestSession = LatestSessionId is null ? null : new SessionSummary(Guid.Parse(LatestSessionId), LatestSessionStatus ?? "", ActiveSessionId is not null, LatestSessionError),
        SessionCount = SessionCount,
        ClaudeSessionId = ClaudeSessionId,
        PullRequestNumber = PullRequestNumber,
        PullRequestUrl = PullRequestUrl,
        ChecksState = ChecksState,
        ReviewState = ReviewState,
        FailingChecks = FailingChecks is { } failing ? KonduktorJson.Deserialize<List<FailingCheck>>(failing) : null,
        Note = Note,
        ProjectId = ProjectId is null ? null : Guid.Parse(ProjectId),
        PhaseId = PhaseId is null ? null : Guid.Parse(PhaseId),
        CostUsd = (decimal)Math.Round(CostUsd, 6),
        InputTokens = InputTokens,
        OutputTokens = OutputTokens,
        QuotaResetsAt = QuotaResetsAt,
        ResumesAt = ResumesAt,
        BudgetUsd = BudgetUsd is { } budget ? (decimal)budget : null,
        BlockedBy = TaskDependencies.BlockersOf(this),
        AutoRun = AutoRun,
        IssueNumber = IssueNumber,
        IssueUrl = IssueUrl,
    };
}

using System.Runtime.Serialization;
using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using Konduktor.Core.Storage;

namespace Konduktor.Core.Workspaces;

/// <summary>
/// Workspaces share one partition: RowKey = the workspace's UUID, and a name index row per workspace
/// (RowKey <c>~name:&lt;lower-case name&gt;</c>, which sorts after every UUID) written in the same batch,
/// so names are unique and a workspace is never half-created or half-deleted.
/// </summary>
internal sealed class WorkspaceEntity : ITableEntity
{
    public const string Partition = "ws";
    public const string NameRowPrefix = "~name:";

    public string PartitionKey { get; set; } = Partition;

    public string RowKey { get; set; } = "";

    public DateTimeOffset? Timestamp { get; set; }

    public ETag ETag { get; set; }

    public string Name { get; set; } = "";

    public string Repository { get; set; } = "";

    public string? GitHubRepository { get; set; }

    public string DefaultBranch { get; set; } = "";

    public string Columns { get; set; } = "[]";

    public string? SystemPrompt { get; set; }

    public string? SystemPromptBlob { get; set; }

    public bool AutoFixConflicts { get; set; }

    public bool AutoFixCi { get; set; }

    public bool AutoFixReviews { get; set; }

    public string? PermissionMode { get; set; }

    public string? Model { get; set; }

    /// <summary>Signs this workspace's GitHub webhook deliveries. Shown only by `workspaces webhook`; never logged.</summary>
    public string? WebhookSecret { get; set; }

    /// <summary>For Konduktor's GitHub API calls. Never shown, never logged.</summary>
    public string? GitHubToken { get; set; }

    public int? AutoFixLimit { get; set; }

    public string? PullRequests { get; set; }

    public string? WithoutPullRequest { get; set; }

    public string? FollowIssues { get; set; }

    public bool MirrorQuestions { get; set; }

    public string? SetupScript { get; set; }

    public string? CleanupScript { get; set; }

    public int? SetupTimeoutMinutes { get; set; }

    /// <summary>Null (as for workspaces made before it existed) is on.</summary>
    public bool? AutoResume { get; set; }

    public double? TaskBudgetUsd { get; set; }

    public double? DailyBudgetUsd { get; set; }

    /// <summary>The network allow-list's extra hosts, one <c>host:port</c> per line.</summary>
    public string? AllowedHosts { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }

    public static string NameRow(string name) => NameRowPrefix + name.ToLowerInvariant();

    [IgnoreDataMember]
    public StoredText StoredSystemPrompt => new(SystemPrompt, SystemPromptBlob);

    public Workspace ToWorkspace(string systemPrompt) => new()
    {
        Id = Guid.Parse(RowKey),
        Name = Name,
        Repository = Repository,
        GitHubRepository = GitHubRepository,
        DefaultBranch = DefaultBranch,
        Columns = JsonSerializer.Deserialize<string[]>(Columns) ?? [],
        Config = new WorkspaceConfig
        {
            SystemPrompt = systemPrompt,
            AutoFixConflicts = AutoFixConflicts,
            AutoFixCi = AutoFixCi,
            AutoFixReviews = AutoFixReviews,
            PermissionMode = PermissionMode ?? WorkspaceRules.DefaultPermissionMode,
            Model = Model,
            GitHubTokenSet = GitHubToken is not null,
            AutoFixLimit = AutoFixLimit ?? WorkspaceRules.DefaultAutoFixLimit,
            PullRequests = PullRequests ?? WorkspaceRules.DefaultPullRequestMode,
            WithoutPullRequest = WithoutPullRequest,
            FollowIssues = FollowIssues,
            MirrorQuestions = MirrorQuestions,
            SetupScript = SetupScript,
            CleanupScript = CleanupScript,
            SetupTimeoutMinutes = SetupTimeoutMinutes ?? WorkspaceRules.DefaultSetupTimeoutMinutes,
            AutoResume = AutoResume ?? true,
            TaskBudgetUsd = TaskBudgetUsd is { } task ? (decimal)task : null,
            DailyBudgetUsd = DailyBudgetUsd is { } daily ? (decimal)daily : null,
            AllowedHosts = AllowedHosts is { Length: > 0 } hosts ? hosts.Split('\n') : [],
        },
        CreatedAt = CreatedAt,
        UpdatedAt = UpdatedAt,
        Version = ETag.ToString(),
    };
}

/// <summary>Maps a workspace name to its id.</summary>
internal sealed class WorkspaceNameEntity : ITableEntity
{
    public string PartitionKey { get; set; } = WorkspaceEntity.Partition;

    public string RowKey { get; set; } = "";

    public DateTimeOffset? Timestamp { get; set; }

    public ETag ETag { get; set; }

    public string WorkspaceId { get; set; } = "";
}

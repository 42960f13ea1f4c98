namespace Konduktor.Core.Workspaces;

/// <summary>A workspace's configuration as the API shows it.</summary>
public sealed record ConfigView(string Workspace, string DefaultBranch, string SystemPrompt, bool AutoFixConflicts, bool AutoFixCi, string PermissionMode, bool GitHubTokenSet, int AutoFixLimit, string Version, string? Model = null, string PullRequests = WorkspaceRules.DefaultPullRequestMode, bool AutoFixReviews = false,
    string? SetupScript = null, string? CleanupScript = null, int SetupTimeoutMinutes = WorkspaceRules.DefaultSetupTimeoutMinutes,
    bool AutoResume = true, decimal? TaskBudgetUsd = null, decimal? DailyBudgetUsd = null, IReadOnlyList<string>? AllowedHosts = null, string? WithoutPullRequest = null,
    string? FollowIssues = null, bool MirrorQuestions = false)
{
    public static ConfigView Of(Workspace w) =>
        new(w.Name, w.DefaultBranch, w.Config.SystemPrompt, w.Config.AutoFixConflicts, w.Config.AutoFixCi, w.Config.PermissionMode, w.Config.GitHubTokenSet, w.Config.AutoFixLimit, w.Version, w.Config.Model, w.Config.PullRequests, w.Config.AutoFixReviews,
            w.Config.SetupScript, w.Config.CleanupScript, w.Config.SetupTimeoutMinutes,
            w.Config.AutoResume, w.Config.TaskBudgetUsd, w.Config.DailyBudgetUsd, w.Config.AllowedHosts, w.Config.WithoutPullRequest,
            w.Config.FollowIssues, w.Config.MirrorQuestions);
}

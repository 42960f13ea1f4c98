using Konduktor.Core.Workspaces;

namespace Konduktor.Core.GitHub;

/// <summary>Does one piece of GitHub work from the queue: what the webhook and the session's end only noted.</summary>
public sealed class GitHubWorker(WorkspaceService workspaces, PullRequestOpener pullRequests, AutoFix autoFix, Sessions.AutoRuns autoRuns, IssueAnnouncer announcer, QuestionMirror mirror)
{
    /// <summary>A sentence about what was done (logged); an exception leaves the message for the queue to try again.</summary>
    public async Task<string> HandleAsync(GitHubWorkItem item, CancellationToken ct)
    {
        if (await workspaces.FindByIdAsync(item.WorkspaceId, ct) is not { } workspace)
        {
            return "nothing to do: the workspace is gone";
        }

        return item switch
        {
            { Kind: GitHubWorkKind.OpenPullRequest, TaskId: { } taskId } => await pullRequests.OpenAsync(workspace.Id, taskId, ct),
            { Kind: GitHubWorkKind.CiFailed, Branch: { } branch, Sha: { } sha } => await autoFix.CiFailedAsync(workspace, branch, sha, item.Detail ?? "checks", ct),
            { Kind: GitHubWorkKind.BaseMoved, Sha: { } baseSha } => await autoFix.BaseMovedAsync(workspace, baseSha, ct),
            { Kind: GitHubWorkKind.PullRequestUpdated, Branch: { } branch, Sha: { } baseSha } => await autoFix.PullRequestUpdatedAsync(workspace, branch, baseSha, ct),
            { Kind: GitHubWorkKind.ChangesRequested, Branch: { } branch, Number: { } number, ReviewId: { } review, Sha: { } head } =>
                await autoFix.ChangesRequestedAsync(workspace, branch, number, review, head, ct),
            { Kind: GitHubWorkKind.StartWaitingAutoFix, TaskId: { } taskId } => await autoFix.StartWaitingAsync(workspace, taskId, ct),
            { Kind: GitHubWorkKind.StartUnblocked, TaskId: { } taskId } => await autoRuns.StartUnblockedAsync(workspace, taskId, ct),
            { Kind: GitHubWorkKind.AnnouncePullRequest, TaskId: { } taskId, Number: { } number } => await announcer.AnnounceAsync(workspace, taskId, number, ct),
            { Kind: GitHubWorkKind.MirrorQuestion, TaskId: { } taskId, Detail: { } question } when Guid.TryParse(question, out var questionId) => await mirror.MirrorAsync(workspace, taskId, questionId, ct),
            _ => $"nothing to do: {item.Kind} without what it needs",
        };
    }
}

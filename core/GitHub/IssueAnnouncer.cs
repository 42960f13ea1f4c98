using Konduktor.Core.Auth;
using Konduktor.Core.Tasks;
using Konduktor.Core.Workspaces;

namespace Konduktor.Core.GitHub;

/// <summary>
/// Tells an issue that the task made from it has a pull request: one comment per pull request, not per update. The
/// issue's entry is claimed first (a conditional write), so two hosts or a redelivered message comment once; a comment
/// GitHub refused gives the claim back for the queue's next try.
/// </summary>
public sealed class IssueAnnouncer(IssueFollowing following, TaskService tasks, GitHubApi gitHub)
{
    public async Task<string> AnnounceAsync(Workspace workspace, Guid taskId, int pullRequest, CancellationToken ct)
    {
        if (!(await tasks.GetAsync(Principal.Konduktor("issues"), ShortId.Format(workspace.Id), ShortId.Format(taskId), ct)).TryGet(out var task, out _)
            || task.IssueNumber is not { } issue)
        {
            return $"task {ShortId.Of(taskId)}: no issue to tell";
        }

        if (await following.EntryAsync(workspace.Id, issue, ct) is not { } entry || entry.AnnouncedPullRequest == pullRequest)
        {
            return $"issue #{issue}: pull request #{pullRequest} was announced already";
        }

        var before = entry.AnnouncedPullRequest;
        if (!await following.MarkAnnouncedAsync(entry, pullRequest, ct))
        {
            return $"issue #{issue}: another host announces pull request #{pullRequest}";
        }

        try
        {
            await gitHub.PostCommentAsync(workspace, issue, $"Pull request #{pullRequest} is open for this issue ({task.PullRequestUrl ?? $"#{pullRequest}"}), from Konduktor task `{task.ShortId}`. Merging it closes the issue.", ct);
        }
        catch
        {
            await following.MarkAnnouncedAsync(entry, before, CancellationToken.None);
            throw;
        }

        return $"issue #{issue}: pull request #{pullRequest} announced";
    }
}

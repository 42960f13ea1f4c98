using Konduktor.Core.Auth;
using Konduktor.Core.Tasks;
using Konduktor.Core.Workspaces;
using Microsoft.Extensions.Logging;

namespace Konduktor.Core.GitHub;

/// <summary>
/// Where people see a task on the board, for the link back in the pull requests Konduktor opens: <c>Konduktor:BoardUrl</c>
/// in Azure; the local host sets its own address once it listens.
/// </summary>
public sealed class BoardLinks(Uri? boardUrl)
{
    public Uri? BoardUrl { get; set; } = boardUrl;

    public string? TaskLink(Workspace workspace, TaskItem task) =>
        BoardUrl is null ? null : $"{BoardUrl.ToString().TrimEnd('/')}/#/w/{Uri.EscapeDataString(workspace.Name)}/t/{task.ShortId}";
}

/// <summary>
/// Makes sure a task whose branch has commits has a pull request — the agent may not have opened one, and it may not
/// have `gh` at all. Finds an open one for the branch first (so opening twice is harmless: GitHub also refuses a second
/// one for the same head); without a token it says so on the task rather than staying silent.
/// </summary>
public sealed class PullRequestOpener(WorkspaceService workspaces, TaskService tasks, GitHubApi gitHub, BoardLinks links, TimeProvider clock, ILogger<PullRequestOpener> logger)
{
    private const int MaxBody = 60_000;

    public async Task<string> OpenAsync(Guid workspaceId, Guid taskId, CancellationToken ct)
    {
        var caller = Principal.Konduktor("pull requests");
        if (await workspaces.FindByIdAsync(workspaceId, ct) is not { } workspace
            || !(await tasks.GetAsync(caller, ShortId.Format(workspaceId), ShortId.Format(taskId), ct)).TryGet(out var task, out _))
        {
            return "nothing to do: the task or its workspace is gone";
        }

        if (task.PullRequestNumber is { } known)
        {
            return $"task {task.ShortId} has pull request #{known} already";
        }

        if (task.Branch is null)
        {
            return $"task {task.ShortId}: no pull request is opened (no branch)";
        }

        var without = workspace.GitHubRepository is null ? "the repository is not on GitHub"
            : workspace.Config.PullRequests == "off" ? "pull requests are off in this workspace (konduktor config set --pr konduktor)"
            : !workspace.Config.GitHubTokenSet ? "this workspace has no GitHub token (konduktor config set --github-token -)"
            : null;
        if (without is not null)
        {
            // The task never strands: the card says where the work is and why nothing more happens by itself.
            var column = workspace.Config.WithoutPullRequest;
            await tasks.NoteAsync(workspace.Id, taskId, $"The work is on branch {task.Branch}; no pull request is opened: {without}. Merge it yourself, then move the task to Done.", ct, column);
            return $"task {task.ShortId}: no pull request is opened ({without}); a note was left on the task{(column is null ? "" : $" and it moved to {column}")}";
        }

        var pullRequest = await gitHub.FindOpenPullRequestAsync(workspace, task.Branch, ct)
            ?? await gitHub.OpenPullRequestAsync(workspace, task.Branch, task.Title, Body(workspace, task), draft: workspace.Config.PullRequests == "agent", ct);
        var (moved, _) = await tasks.ApplyPullRequestAsync(workspace, task.ShortId, new PullRequestFacts(pullRequest.Number, pullRequest.Url, BoardColumns.PrSubmitted, clock.GetUtcNow()), ct);
        logger.LogInformation("Pull request #{Number} for task {TaskId}: {Result}", pullRequest.Number, taskId, moved);
        return moved;
    }

    private string Body(Workspace workspace, TaskItem task)
    {
        var description = string.IsNullOrWhiteSpace(task.Description) ? "" : task.Description.Trim();
        if (description.Length > MaxBody)
        {
            description = description[..MaxBody] + "\n\n… (the rest is in the task)";
        }

        var link = links.TaskLink(workspace, task) is { } url ? $" ([on the board]({url}))" : "";
        return $"{description}\n\n---\nOpened by Konduktor for task `{task.ShortId}`: {task.Title}{link}.".TrimStart();
    }
}

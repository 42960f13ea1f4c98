using Konduktor.Core.Auth;
using Konduktor.Core.Results;
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
    private const int MaxTitle = 256;

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

    /// <summary>
    /// Opens the task's pull request with the caller's own title and description — how an agent in `agent` mode opens it
    /// without a GitHub credential of its own. An open pull request for the branch is answered, not opened again.
    /// </summary>
    public async Task<Result<PostedOnGitHub>> OpenForAsync(Principal caller, string workspaceRef, string taskRef, NewTaskPullRequest input, CancellationToken ct)
    {
        if (!(await workspaces.ResolveAsync(caller, workspaceRef, ct)).TryGet(out var workspace, out var failure)
            || !(await tasks.GetAsync(caller, workspaceRef, taskRef, ct)).TryGet(out var task, out failure))
        {
            return failure;
        }

        var title = (input.Title ?? "").Trim();
        if (title.Length is 0 or > MaxTitle || title.Contains('\n', StringComparison.Ordinal))
        {
            return new Invalid($"a pull request's title is one line of 1 to {MaxTitle} characters", "title");
        }

        if ((input.Body?.Length ?? 0) > MaxBody)
        {
            return new TooLarge($"a pull request's description is at most {MaxBody:N0} characters");
        }

        if (task.PullRequestNumber is { } known && task.PullRequestUrl is { } knownUrl)
        {
            return new PostedOnGitHub(known, "pull request", knownUrl);
        }

        var refused = workspace.GitHubRepository is null ? $"workspace {workspace.Name} is not a GitHub repository: there is nowhere to open a pull request"
            : workspace.Config.PullRequests == "off" ? $"pull requests are off in workspace {workspace.Name}: a person turns them on with `konduktor config set --pr agent`"
            : !workspace.Config.GitHubTokenSet ? $"workspace {workspace.Name} has no GitHub token to open it with: a person sets one with `konduktor config set --github-token -`"
            : task.Branch is null ? $"task {task.ShortId} has no branch yet: it gets one when it first runs"
            : null;
        if (refused is not null)
        {
            return new Conflict(refused);
        }

        var body = $"{input.Body?.Trim()}\n\n---\n{Footer(workspace, task)}".TrimStart();
        var pullRequest = await gitHub.FindOpenPullRequestAsync(workspace, task.Branch!, ct)
            ?? await gitHub.OpenPullRequestAsync(workspace, task.Branch!, title, body, draft: false, ct);
        await tasks.ApplyPullRequestAsync(workspace, task.ShortId, new PullRequestFacts(pullRequest.Number, pullRequest.Url, BoardColumns.PrSubmitted, clock.GetUtcNow()), ct);
        logger.LogInformation("{Caller} opened pull request #{Number} for task {TaskId}", caller.Name, pullRequest.Number, task.Id);
        return new PostedOnGitHub(pullRequest.Number, "pull request", pullRequest.Url);
    }

    /// <summary>The link back to the task, and for a task made from an issue the keyword that closes it when the pull request merges.</summary>
    private string Footer(Workspace workspace, TaskItem task) =>
        $"Opened by Konduktor for task `{task.ShortId}`: {task.Title}{(links.TaskLink(workspace, task) is { } url ? $" ([on the board]({url}))" : "")}."
        + (task.IssueNumber is { } issue ? $"\n\nCloses #{issue}" : "");

    private string Body(Workspace workspace, TaskItem task)
    {
        var description = string.IsNullOrWhiteSpace(task.Description) ? "" : task.Description.Trim();
        if (description.Length > MaxBody)
        {
            description = description[..MaxBody] + "\n\n… (the rest is in the task)";
        }

        return $"{description}\n\n---\n{Footer(workspace, task)}".TrimStart();
    }
}

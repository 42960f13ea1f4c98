using Konduktor.Core.Auth;
using Konduktor.Core.Results;
using Konduktor.Core.Workspaces;
using Microsoft.Extensions.Logging;
using Octokit;

namespace Konduktor.Core.GitHub;

/// <summary>
/// Reviews and comments on the workspace's pull requests, posted with the workspace's GitHub token: how agents act on
/// GitHub without holding a credential (the token stays in Konduktor, and only the workspace's own repository is
/// reachable). People and agents may (<see cref="Act.ReviewPullRequests"/>); what GitHub refuses comes back as its reason.
/// </summary>
public sealed class PullRequestVoice(WorkspaceService workspaces, GitHubApi gitHub, ILogger<PullRequestVoice> logger)
{
    /// <summary>GitHub's own limit on a review's or a comment's body.</summary>
    public const int MaxBody = 65_536;

    private static readonly Dictionary<string, PullRequestReviewEvent> Verdicts = new(StringComparer.Ordinal)
    {
        ["approve"] = PullRequestReviewEvent.Approve,
        ["request-changes"] = PullRequestReviewEvent.RequestChanges,
        ["comment"] = PullRequestReviewEvent.Comment,
    };

    public async Task<Result<PostedOnGitHub>> ReviewAsync(Principal caller, string workspaceRef, string number, NewPullRequestReview input, CancellationToken ct)
    {
        if (!Verdicts.TryGetValue(input.Verdict ?? "", out var verdict))
        {
            return new Invalid($"a review's verdict is one of {string.Join(", ", Verdicts.Keys)}, not '{Shorten(input.Verdict)}'", "verdict");
        }

        if (!Body(input.Body, required: verdict != PullRequestReviewEvent.Approve).TryGet(out var body, out var failure))
        {
            return failure;
        }

        return await PostAsync(caller, workspaceRef, number, "review", (workspace, pull) => gitHub.PostReviewAsync(workspace, pull, verdict, body.Length == 0 ? null : body, ct), ct);
    }

    public async Task<Result<PostedOnGitHub>> CommentAsync(Principal caller, string workspaceRef, string number, NewPullRequestComment input, CancellationToken ct) =>
        Body(input.Body, required: true).TryGet(out var body, out var failure)
            ? await PostAsync(caller, workspaceRef, number, "comment", (workspace, pull) => gitHub.PostCommentAsync(workspace, pull, body, ct), ct)
            : failure;

    private async Task<Result<PostedOnGitHub>> PostAsync(Principal caller, string workspaceRef, string number, string kind, Func<Workspace, int, Task<string>> post, CancellationToken ct)
    {
        if (!(await workspaces.ResolveAsync(caller, workspaceRef, ct)).TryGet(out var workspace, out var failure))
        {
            return failure;
        }

        if (!int.TryParse(number.TrimStart('#'), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var pull) || pull <= 0)
        {
            return new Invalid($"'{Shorten(number)}' is not a pull request number", "number");
        }

        if (workspace.GitHubRepository is null)
        {
            return new Conflict($"workspace {workspace.Name} is not a GitHub repository: there is no pull request to {kind} on");
        }

        if (await workspaces.GitHubTokenAsync(workspace.Id, ct) is null)
        {
            return new Conflict($"workspace {workspace.Name} has no GitHub token to post with: a person sets one with `konduktor config set --github-token -`");
        }

        try
        {
            var url = await post(workspace, pull);
            logger.LogInformation("{Caller} posted a {Kind} on {Repository}#{Number}", caller.Name, kind, workspace.GitHubRepository, pull);
            return new PostedOnGitHub(pull, kind, url);
        }
        catch (NotFoundException)
        {
            return new NotFound($"{workspace.GitHubRepository} has no pull request #{pull} (or the workspace's token cannot see it)");
        }
        catch (ApiException e)
        {
            var why = e.ApiError?.Errors is { Count: > 0 } errors ? errors[0].Message : e.ApiError?.Message ?? e.Message;
            return new Conflict($"GitHub refused the {kind} on {workspace.GitHubRepository}#{pull}: {why}");
        }
        catch (HttpRequestException e)
        {
            return new Conflict($"GitHub could not be reached to post the {kind} ({e.Message}): nothing was posted; try again");
        }
    }

    private static Result<string> Body(string? body, bool required) =>
        (body ?? "").Trim() is var text && text.Length > MaxBody ? new TooLarge($"the text is {text.Length:N0} characters; GitHub takes at most {MaxBody:N0}")
        : required && text.Length == 0 ? new Invalid("the text is empty: say what you found", "body")
        : text;

    private static string Shorten(string? value) => value is null ? "" : value.Length > 40 ? value[..40] + "…" : value;
}

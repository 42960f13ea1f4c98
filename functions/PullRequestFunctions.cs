using Konduktor.Core.Contract;
using Konduktor.Core.GitHub;
using Konduktor.Functions.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;

namespace Konduktor.Functions;

/// <summary>Reviews and comments on the workspace's pull requests, posted by Konduktor with the workspace's GitHub token.</summary>
public sealed class PullRequestFunctions(Api api, PullRequestVoice voice, PullRequestOpener opener)
{
    private const string PullRequest = "workspaces/{workspace}/prs/{number}";

    [Function("ReviewPullRequest")]
    public Task<IActionResult> Review([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = PullRequest + "/reviews")] HttpRequest req, string workspace, string number) =>
        api.Run(req, Operations.ReviewPullRequest, (caller, input, ct) => voice.ReviewAsync(caller, workspace, number, input, ct));

    [Function("OpenTaskPullRequest")]
    public Task<IActionResult> Open([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "workspaces/{workspace}/tasks/{task}/pull-request")] HttpRequest req, string workspace, string task) =>
        api.Run(req, Operations.OpenTaskPullRequest, (caller, input, ct) => opener.OpenForAsync(caller, workspace, task, input, ct));

    [Function("CommentOnPullRequest")]
    public Task<IActionResult> Comment([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = PullRequest + "/comments")] HttpRequest req, string workspace, string number) =>
        api.Run(req, Operations.CommentOnPullRequest, (caller, input, ct) => voice.CommentAsync(caller, workspace, number, input, ct));
}

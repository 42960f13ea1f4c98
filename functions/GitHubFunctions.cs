using Konduktor.Core.Contract;
using Konduktor.Core.Auth;
using Konduktor.Core.GitHub;
using Konduktor.Core.Results;
using Konduktor.Core.Workspaces;
using Konduktor.Functions.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;

namespace Konduktor.Functions;

/// <summary>GitHub's side: the webhook (authenticated by its signature alone) and what to paste into GitHub.</summary>
public sealed class GitHubFunctions(Api api, GitHubWebhooks webhooks, WorkspaceService workspaces, GitHubApi gitHub)
{
    public const string WebhookRoute = "github/webhooks/{workspace}";

    [Function("GitHubWebhook")]
    public Task<IActionResult> Receive([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = WebhookRoute)] HttpRequest req, string workspace) =>
        api.RunWithoutToken(req, Operations.GitHubWebhook, async ct =>
        {
            if (!(req.ContentType ?? "").StartsWith("application/json", StringComparison.OrdinalIgnoreCase))
            {
                return new Invalid("set the webhook's content type to application/json in the repository's settings");
            }

            var headers = req.Headers.ToDictionary(h => h.Key, h => h.Value, StringComparer.OrdinalIgnoreCase);
            if (!(await webhooks.TargetAsync(workspace, headers, ct)).TryGet(out var target, out var failure)
                || !(await SignedDeliveryReader.ReadAsync(req.Body, req.ContentLength, target.Signature, target.Secret, GitHubWebhooks.MaxBodyBytes, ct)).TryGet(out var delivery, out failure))
            {
                return failure;
            }

            return await webhooks.ReceiveAsync(target, headers, delivery, ct);
        });

    [Function("GetWebhook")]
    public Task<IActionResult> Webhook([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "workspaces/{workspace}/webhook")] HttpRequest req, string workspace) =>
        api.Run(req, Operations.GetWebhook, async (caller, ct) => (await workspaces.WebhookAsync(caller, workspace, ct)).Map(w => View(req, w.Workspace, w.Secret)));

    /// <summary>Creates the webhook on GitHub through its API, with the workspace's token.</summary>
    [Function("RegisterWebhook")]
    public Task<IActionResult> Register([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "workspaces/{workspace}/webhook/register")] HttpRequest req, string workspace) =>
        api.Run(req, Operations.RegisterWebhook, async (caller, ct) =>
        {
            if (!(await workspaces.WebhookAsync(caller, workspace, ct)).TryGet(out var found, out var failure))
            {
                return failure;
            }

            if (found.Workspace.GitHubRepository is null || !found.Workspace.Config.GitHubTokenSet)
            {
                return new Conflict("registering needs a GitHub repository and a token: `konduktor config set --github-token -` (a token that may manage webhooks)");
            }

            var view = View(req, found.Workspace, found.Secret);
            try
            {
                await gitHub.RegisterWebhookAsync(found.Workspace, view.PayloadUrl, found.Secret, view.Events, ct);
            }
            catch (Octokit.ApiException e)
            {
                return new Conflict($"GitHub refused the webhook ({(int)e.StatusCode}): {e.Message}");
            }

            return Result.Ok(view);
        });

    private static WebhookView View(HttpRequest req, Workspace workspace, string secret) => new(
        $"{req.Scheme}://{req.Host}/api/{WebhookRoute.Replace("{workspace}", workspace.Id.ToString(), StringComparison.Ordinal)}",
        secret,
        "application/json",
        GitHubWebhooks.UsedEvents.Order(StringComparer.Ordinal).ToList());
}


using Konduktor.Core.GitHub;
using Konduktor.Core.Results;
using Konduktor.Core.Workspaces;
using Konduktor.Functions.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;

namespace Konduktor.Functions;

/// <summary>GitHub's side: the webhook (authenticated by its signature alone) and what to paste into GitHub.</summary>
public sealed class GitHubFunctions(Api api, GitHubWebhooks webhooks, WorkspaceService workspaces)
{
    public const string WebhookRoute = "github/webhooks/{workspace}";

    [Function("GitHubWebhook")]
    public Task<IActionResult> Receive([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = WebhookRoute)] HttpRequest req, string workspace) =>
        api.RunSigned(req, async ct =>
        {
            if (!(req.ContentType ?? "").StartsWith("application/json", StringComparison.OrdinalIgnoreCase))
            {
                return new Invalid("set the webhook's content type to application/json in the repository's settings");
            }

            if (!(await RequestBody.ReadBytesAsync(req, GitHubWebhooks.MaxBodyBytes, ct)).TryGet(out var body, out var failure))
            {
                return failure;
            }

            var headers = req.Headers.ToDictionary(h => h.Key, h => h.Value, StringComparer.OrdinalIgnoreCase);
            return await webhooks.ReceiveAsync(workspace, headers, body, ct);
        });

    [Function("GetWebhook")]
    public Task<IActionResult> Webhook([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "workspaces/{workspace}/webhook")] HttpRequest req, string workspace) =>
        api.Run(req, async (caller, ct) => (await workspaces.WebhookAsync(caller, workspace, ct)).Map(w => new WebhookView(
            $"{req.Scheme}://{req.Host}/api/{WebhookRoute.Replace("{workspace}", w.Workspace.Id.ToString(), StringComparison.Ordinal)}",
            w.Secret,
            "application/json",
            GitHubWebhooks.UsedEvents.Order(StringComparer.Ordinal).ToList())));
}

/// <summary>What to paste into the repository's Settings → Webhooks.</summary>
public sealed record WebhookView(string PayloadUrl, string Secret, string ContentType, IReadOnlyList<string> Events);

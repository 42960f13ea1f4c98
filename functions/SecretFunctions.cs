using Konduktor.Core.Contract;
using Konduktor.Core.Auth;
using Konduktor.Core.Workspaces;
using Konduktor.Functions.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;

namespace Konduktor.Functions;

/// <summary>A workspace's secrets for its agents: people set, list (names only) and delete them.</summary>
public sealed class SecretFunctions(Api api, AgentSecrets secrets)
{
    [Function("ListSecrets")]
    public Task<IActionResult> List([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "workspaces/{workspace}/secrets")] HttpRequest req, string workspace) =>
        api.Run(req, Operations.ListSecrets, (caller, ct) => secrets.ListAsync(caller, workspace, ct));

    [Function("SetSecret")]
    public Task<IActionResult> Set([HttpTrigger(AuthorizationLevel.Anonymous, "put", Route = "workspaces/{workspace}/secrets/{name}")] HttpRequest req, string workspace, string name) =>
        api.Run(req, Operations.SetSecret, (caller, input, ct) => secrets.SetAsync(caller, workspace, name, input, ct));

    [Function("DeleteSecret")]
    public Task<IActionResult> Delete([HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = "workspaces/{workspace}/secrets/{name}")] HttpRequest req, string workspace, string name) =>
        api.Run(req, Operations.DeleteSecret, (caller, ct) => secrets.DeleteAsync(caller, workspace, name, ct));
}

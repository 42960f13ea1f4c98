using Konduktor.Core.Contract;
using Konduktor.Core.Auth;
using Konduktor.Core.Workspaces;
using Konduktor.Functions.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;

namespace Konduktor.Functions;

public sealed class WorkspaceFunctions(Api api, WorkspaceService workspaces)
{
    [Function("CreateWorkspace")]
    public Task<IActionResult> Create([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "workspaces")] HttpRequest req) =>
        api.Run(req, Operations.CreateWorkspace, (caller, input, ct) => workspaces.CreateAsync(caller, input, ct));

    [Function("ListWorkspaces")]
    public Task<IActionResult> List([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "workspaces")] HttpRequest req) =>
        api.Run(req, Operations.ListWorkspaces, async (caller, ct) => Core.Results.Result.Ok(await workspaces.ListAsync(caller, ct)));

    [Function("GetWorkspace")]
    public Task<IActionResult> Get([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "workspaces/{workspace}")] HttpRequest req, string workspace) =>
        api.Run(req, Operations.GetWorkspace, (caller, ct) => workspaces.ResolveAsync(caller, workspace, ct));

    [Function("DeleteWorkspace")]
    public Task<IActionResult> Delete([HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = "workspaces/{workspace}")] HttpRequest req, string workspace) =>
        api.Run(req, Operations.DeleteWorkspace, (caller, ct) => workspaces.DeleteAsync(caller, workspace, Query.Flag(req, "force"), ct));

    [Function("GetConfig")]
    public Task<IActionResult> GetConfig([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "workspaces/{workspace}/config")] HttpRequest req, string workspace) =>
        api.Run(req, Operations.GetConfig, async (caller, ct) => (await workspaces.ResolveAsync(caller, workspace, ct)).Map(ConfigView.Of));

    [Function("SetConfig")]
    public Task<IActionResult> SetConfig([HttpTrigger(AuthorizationLevel.Anonymous, "patch", Route = "workspaces/{workspace}/config")] HttpRequest req, string workspace) =>
        api.Run(req, Operations.SetConfig, async (caller, changes, ct) =>
            (await Query.IfMatch(req).Then(version => workspaces.UpdateConfigAsync(caller, workspace, changes, version, ct))).Map(ConfigView.Of));
}


using Konduktor.Core.Contract;
using Konduktor.Core.Auth;
using Konduktor.Core.Changes;
using Konduktor.Core.Results;
using Konduktor.Functions.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;

namespace Konduktor.Functions;

/// <summary>What a task's branch changes: kept by its runner after each session, read by the board and <c>tasks diff</c>.</summary>
public sealed class ChangeFunctions(Api api, ChangeSets changes)
{
    [Function("GetTaskChanges")]
    public Task<IActionResult> Get([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "workspaces/{workspace}/tasks/{task}/changes")] HttpRequest req, string workspace, string task) =>
        api.Run(req, Operations.GetTaskChanges, (caller, ct) => changes.GetAsync(caller, workspace, task, ct));

    [Function("SaveChanges")]
    public Task<IActionResult> Save([HttpTrigger(AuthorizationLevel.Anonymous, "put", Route = "runner/workspaces/{workspace}/sessions/{session}/changes")] HttpRequest req, string workspace, string session) =>
        api.Run(req, Operations.SaveChanges, async (caller, set, ct) => Guid.TryParse(workspace, out var w) && Guid.TryParse(session, out var s)
            ? await changes.SaveAsync(caller, w, s, set, ct)
            : new NotFound($"no session matches '{session}'"));
}

using Konduktor.Core.Contract;
using Konduktor.Core.Auth;
using Konduktor.Core.Docs;
using Konduktor.Functions.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;

namespace Konduktor.Functions;

/// <summary>Docs: markdown that people and agents read and write, with every version kept.</summary>
public sealed class DocFunctions(Api api, DocService docs)
{
    private const string Docs = "workspaces/{workspace}/docs";
    private const string OneDoc = Docs + "/{doc}";

    [Function("CreateDoc")]
    public Task<IActionResult> Create([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = Docs)] HttpRequest req, string workspace) =>
        api.Run(req, Operations.CreateDoc, (caller, input, ct) => docs.CreateAsync(caller, workspace, input, ct));

    [Function("ListDocs")]
    public Task<IActionResult> List([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = Docs)] HttpRequest req, string workspace) =>
        api.Run(req, Operations.ListDocs, (caller, ct) => docs.ListAsync(caller, workspace, Query.Text(req, "tag"), ct));

    /// <summary><c>?version=N</c> reads a kept version.</summary>
    [Function("GetDoc")]
    public Task<IActionResult> Get([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = OneDoc)] HttpRequest req, string workspace, string doc) =>
        api.Run(req, Operations.GetDoc, async (caller, ct) => await Query.Number(req, "version", 0).Then(version => docs.GetAsync(caller, workspace, doc, version > 0 ? (int)Math.Min(version, int.MaxValue) : null, ct)));

    [Function("DocHistory")]
    public Task<IActionResult> History([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = OneDoc + "/history")] HttpRequest req, string workspace, string doc) =>
        api.Run(req, Operations.DocHistory, (caller, ct) => docs.HistoryAsync(caller, workspace, doc, ct));

    [Function("UpdateDoc")]
    public Task<IActionResult> Update([HttpTrigger(AuthorizationLevel.Anonymous, "patch", Route = OneDoc)] HttpRequest req, string workspace, string doc) =>
        api.Run(req, Operations.UpdateDoc, async (caller, changes, ct) => await Query.IfMatch(req).Then(version => docs.UpdateAsync(caller, workspace, doc, changes, version, ct)));

    [Function("DeleteDoc")]
    public Task<IActionResult> Delete([HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = OneDoc)] HttpRequest req, string workspace, string doc) =>
        api.Run(req, Operations.DeleteDoc, (caller, ct) => docs.DeleteAsync(caller, workspace, doc, ct));
}

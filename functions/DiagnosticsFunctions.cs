using Konduktor.Core.Contract;
using Konduktor.Core.Auth;
using Konduktor.Core.Results;
using Konduktor.Core.Storage;
using Konduktor.Functions.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;

namespace Konduktor.Functions;

public sealed class DiagnosticsFunctions(Api api, StorageClients storage)
{
    [Function("GetStatus")]
    public Task<IActionResult> Status([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "status")] HttpRequest req) =>
        api.Run(req, Operations.GetStatus, (caller, ct) => Task.FromResult(Result.Ok(new StatusView("ok", caller.Kind.ToString().ToLowerInvariant(), caller.Name, ThisAssembly.Version))));

    /// <summary>Storage requests this host has made since it started, by service and operation.</summary>
    [Function("GetStorageOperations")]
    public Task<IActionResult> StorageOperations([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "diagnostics/storage")] HttpRequest req) =>
        api.Run(req, Operations.GetStorageOperations, (_, _) => Task.FromResult(Result.Ok(new StorageOperationsView(storage.Counter.Total, storage.Counter.Snapshot()))));
}


internal static class ThisAssembly
{
    public static readonly string Version = typeof(ThisAssembly).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";
}

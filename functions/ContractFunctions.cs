using System.Text.Json.Nodes;
using Konduktor.Core.Contract;
using Konduktor.Core.Results;
using Konduktor.Functions.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;

namespace Konduktor.Functions;

/// <summary>The API's own contract, for anyone: it holds no data, only the routes and shapes every client already has.</summary>
public sealed class ContractFunctions(Api api)
{
    private static readonly Lazy<JsonObject> Document = new(OpenApiDocument.Build);

    [Function("GetOpenApiDocument")]
    public Task<IActionResult> Get([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "openapi.json")] HttpRequest req) =>
        api.RunWithoutToken(req, Operations.GetOpenApiDocument, _ => Task.FromResult(Result.Ok(Document.Value)));
}

using Konduktor.Core.Contract;
using Konduktor.Core.Auth;
using Konduktor.Core.Quota;
using Konduktor.Functions.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;

namespace Konduktor.Functions;

/// <summary>What a workspace's runs cost: per day, task and agent, beside its budgets.</summary>
public sealed class UsageFunctions(Api api, UsageService usage)
{
    [Function("GetUsage")]
    public Task<IActionResult> Get([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "workspaces/{workspace}/usage")] HttpRequest req, string workspace) =>
        api.Run(req, Operations.GetUsage, async (caller, ct) => await Query.Number(req, "days", 30).Then(days => usage.ReadAsync(caller, workspace, days, ct)));
}

using Konduktor.Core.Contract;
using Konduktor.Core.Auth;
using Konduktor.Core.Agents;
using Konduktor.Core.Results;
using Konduktor.Functions.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Logging;

namespace Konduktor.Functions;

/// <summary>Scheduled agents: set up by people, run by the scheduler (a timer) or on demand.</summary>
public sealed class AgentFunctions(Api api, AgentService agents, ILogger<AgentFunctions> logger)
{
    private const string Agents = "workspaces/{workspace}/agents";
    private const string OneAgent = Agents + "/{name}";

    [Function("ListAgentPresets")]
    public Task<IActionResult> Presets([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "agent-presets")] HttpRequest req) =>
        api.Run(req, Operations.ListAgentPresets, (_, _) => Task.FromResult<Result<IReadOnlyList<AgentPreset>>>(Result.Ok(AgentService.Presets)));

    [Function("CreateAgent")]
    public Task<IActionResult> Create([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = Agents)] HttpRequest req, string workspace) =>
        api.Run(req, Operations.CreateAgent, (caller, input, ct) => agents.CreateAsync(caller, workspace, input, ct));

    [Function("ListAgents")]
    public Task<IActionResult> List([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = Agents)] HttpRequest req, string workspace) =>
        api.Run(req, Operations.ListAgents, (caller, ct) => agents.ListAsync(caller, workspace, ct));

    [Function("GetAgent")]
    public Task<IActionResult> Get([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = OneAgent)] HttpRequest req, string workspace, string name) =>
        api.Run(req, Operations.GetAgent, (caller, ct) => agents.GetAsync(caller, workspace, name, ct));

    [Function("UpdateAgent")]
    public Task<IActionResult> Update([HttpTrigger(AuthorizationLevel.Anonymous, "patch", Route = OneAgent)] HttpRequest req, string workspace, string name) =>
        api.Run(req, Operations.UpdateAgent, (caller, changes, ct) => agents.UpdateAsync(caller, workspace, name, changes, ct));

    [Function("RunAgentNow")]
    public Task<IActionResult> RunNow([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = OneAgent + "/run")] HttpRequest req, string workspace, string name) =>
        api.Run(req, Operations.RunAgentNow, (caller, ct) => agents.RunNowAsync(caller, workspace, name, ct));

    [Function("DeleteAgent")]
    public Task<IActionResult> Delete([HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = OneAgent)] HttpRequest req, string workspace, string name) =>
        api.Run(req, Operations.DeleteAgent, (caller, ct) => agents.DeleteAsync(caller, workspace, name, ct));

    /// <summary>The scheduler: queues every due agent's run (a skip, recorded, while its previous run is active).</summary>
    [Function("RunDueAgents")]
    public async Task RunDue([TimerTrigger("0 * * * * *")] TimerInfo timer, CancellationToken ct)
    {
        var pass = await agents.RunDueAsync(ct);
        if (pass.Queued + pass.Skipped + pass.Failed > 0)
        {
            logger.LogInformation("Scheduler: {Queued} agent run(s) queued, {Skipped} skipped, {Failed} failed", pass.Queued, pass.Skipped, pass.Failed);
        }
    }
}

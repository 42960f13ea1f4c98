using Konduktor.Core.Contract;
using Konduktor.Core.Auth;
using Konduktor.Core.Projects;
using Konduktor.Functions.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;

namespace Konduktor.Functions;

/// <summary>Projects: phases of tasks, opened one after another behind a review gate.</summary>
public sealed class ProjectFunctions(Api api, ProjectService projects, PhaseReviews reviews, Konduktor.Core.Sessions.SessionStarts sessions)
{
    private const string Projects = "workspaces/{workspace}/projects";
    private const string OneProject = Projects + "/{project}";

    [Function("CreateProject")]
    public Task<IActionResult> Create([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = Projects)] HttpRequest req, string workspace) =>
        api.Run(req, Operations.CreateProject, (caller, input, ct) => projects.CreateAsync(caller, workspace, input, ct));

    [Function("ListProjects")]
    public Task<IActionResult> List([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = Projects)] HttpRequest req, string workspace) =>
        api.Run(req, Operations.ListProjects, (caller, ct) => projects.ListAsync(caller, workspace, ct));

    [Function("GetProject")]
    public Task<IActionResult> Get([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = OneProject)] HttpRequest req, string workspace, string project) =>
        api.Run(req, Operations.GetProject, (caller, ct) => projects.GetAsync(caller, workspace, project, ct));

    [Function("AddPhase")]
    public Task<IActionResult> AddPhase([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = OneProject + "/phases")] HttpRequest req, string workspace, string project) =>
        api.Run(req, Operations.AddPhase, (caller, phase, ct) => projects.AddPhaseAsync(caller, workspace, project, phase, ct));

    [Function("UpdatePhase")]
    public Task<IActionResult> UpdatePhase([HttpTrigger(AuthorizationLevel.Anonymous, "patch", Route = OneProject + "/phases/{number:int}")] HttpRequest req, string workspace, string project, int number) =>
        api.Run(req, Operations.UpdatePhase, (caller, changes, ct) => projects.UpdatePhaseAsync(caller, workspace, project, number, changes, ct));

    [Function("RemovePhase")]
    public Task<IActionResult> RemovePhase([HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = OneProject + "/phases/{number:int}")] HttpRequest req, string workspace, string project, int number) =>
        api.Run(req, Operations.RemovePhase, (caller, ct) => projects.RemovePhaseAsync(caller, workspace, project, number, ct));

    [Function("TagProject")]
    public Task<IActionResult> Tag([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = OneProject + "/tags")] HttpRequest req, string workspace, string project) =>
        api.Run(req, Operations.TagProject, (caller, tags, ct) => projects.TagAsync(caller, workspace, project, tags, ct));

    [Function("RunReadyTasks")]
    public Task<IActionResult> RunReady([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = OneProject + "/run-ready")] HttpRequest req, string workspace, string project) =>
        api.Run(req, Operations.RunReadyTasks, (caller, ct) => sessions.RunReadyAsync(caller, workspace, project, ct));

    [Function("StartProject")]
    public Task<IActionResult> Start([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = OneProject + "/start")] HttpRequest req, string workspace, string project) =>
        api.Run(req, Operations.StartProject, (caller, ct) => projects.StartAsync(caller, workspace, project, ct));

    [Function("GetPhaseReview")]
    public Task<IActionResult> Review([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = OneProject + "/phases/{number:int}/review")] HttpRequest req, string workspace, string project, int number) =>
        api.Run(req, Operations.GetPhaseReview, (caller, ct) => reviews.ReviewAsync(caller, workspace, project, number, ct));

    [Function("ApprovePhase")]
    public Task<IActionResult> Approve([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = OneProject + "/approve")] HttpRequest req, string workspace, string project) =>
        api.Run(req, Operations.ApprovePhase, (caller, approval, ct) => projects.ApproveAsync(caller, workspace, project, approval, ct));
}

using Konduktor.Core.Contract;
using Konduktor.Core.Auth;
using Konduktor.Core.Tasks;
using Konduktor.Functions.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;

namespace Konduktor.Functions;

public sealed class TaskFunctions(Api api, TaskService tasks, BoardFeed feed)
{
    private const string Tasks = "workspaces/{workspace}/tasks";
    private const string OneTask = "workspaces/{workspace}/tasks/{task}";

    [Function("CreateTask")]
    public Task<IActionResult> Create([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = Tasks)] HttpRequest req, string workspace) =>
        api.Run(req, Operations.CreateTask, (caller, input, ct) => tasks.CreateAsync(caller, workspace, input, ct));

    [Function("ListTasks")]
    public Task<IActionResult> List([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = Tasks)] HttpRequest req, string workspace) =>
        api.Run(req, Operations.ListTasks, async (caller, ct) => await Query.TaskFilter(req).Then(filter => tasks.ListAsync(caller, workspace, filter, ct)));

    [Function("GetTask")]
    public Task<IActionResult> Get([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = OneTask)] HttpRequest req, string workspace, string task) =>
        api.Run(req, Operations.GetTask, (caller, ct) => tasks.GetAsync(caller, workspace, task, ct));

    [Function("UpdateTask")]
    public Task<IActionResult> Update([HttpTrigger(AuthorizationLevel.Anonymous, "patch", Route = OneTask)] HttpRequest req, string workspace, string task) =>
        api.Run(req, Operations.UpdateTask, async (caller, changes, ct) => await Query.IfMatch(req).Then(version => tasks.UpdateAsync(caller, workspace, task, changes, version, ct)));

    [Function("MoveTask")]
    public Task<IActionResult> Move([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = OneTask + "/move")] HttpRequest req, string workspace, string task) =>
        api.Run(req, Operations.MoveTask, async (caller, move, ct) => await Query.IfMatch(req).Then(version => tasks.MoveAsync(caller, workspace, task, move.Status, move.Rank, version, ct)));

    [Function("DeleteTask")]
    public Task<IActionResult> Delete([HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = OneTask)] HttpRequest req, string workspace, string task) =>
        api.Run(req, Operations.DeleteTask, async (caller, ct) => await Query.IfMatch(req).Then(version => tasks.DeleteAsync(caller, workspace, task, version, ct)));

    [Function("WaitForBoardChanges")]
    public Task<IActionResult> BoardChanges([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "workspaces/{workspace}/board/changes")] HttpRequest req, string workspace) =>
        api.Run(req, Operations.WaitForBoardChanges, async (caller, ct) => await Query.Number(req, "wait", 0)
            .Then(wait => feed.WaitAsync(caller, workspace, Query.Text(req, "cursor"), TimeSpan.FromSeconds(Math.Clamp(wait, -1, 3600)), ct)),
            cursor => JsonReply.Own(cursor));

    [Function("GetBoard")]
    public Task<IActionResult> Board([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "workspaces/{workspace}/board")] HttpRequest req, string workspace) =>
        api.Run(req, Operations.GetBoard, (caller, ct) => tasks.BoardAsync(caller, workspace, ct));
}


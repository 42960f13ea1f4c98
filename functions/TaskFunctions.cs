using Konduktor.Core.Auth;
using Konduktor.Core.Tasks;
using Konduktor.Functions.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;

namespace Konduktor.Functions;

public sealed class TaskFunctions(Api api, TaskService tasks)
{
    private const string Tasks = "workspaces/{workspace}/tasks";
    private const string OneTask = "workspaces/{workspace}/tasks/{task}";

    [Function("CreateTask")]
    public Task<IActionResult> Create([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = Tasks)] HttpRequest req, string workspace) =>
        api.Run<NewTask, TaskItem>(req, Act.ChangeTasks, (caller, input, ct) => tasks.CreateAsync(caller, workspace, input, ct), JsonReply.Created);

    [Function("ListTasks")]
    public Task<IActionResult> List([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = Tasks)] HttpRequest req, string workspace) =>
        api.Run(req, Act.ReadWorkspace, async (caller, ct) => await Query.TaskFilter(req).Then(filter => tasks.ListAsync(caller, workspace, filter, ct)));

    [Function("GetTask")]
    public Task<IActionResult> Get([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = OneTask)] HttpRequest req, string workspace, string task) =>
        api.Run(req, Act.ReadWorkspace, (caller, ct) => tasks.GetAsync(caller, workspace, task, ct));

    [Function("UpdateTask")]
    public Task<IActionResult> Update([HttpTrigger(AuthorizationLevel.Anonymous, "patch", Route = OneTask)] HttpRequest req, string workspace, string task) =>
        api.Run<TaskChanges, TaskItem>(req, Act.ChangeTasks, (caller, changes, ct) => tasks.UpdateAsync(caller, workspace, task, changes, Query.IfMatch(req), ct));

    [Function("MoveTask")]
    public Task<IActionResult> Move([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = OneTask + "/move")] HttpRequest req, string workspace, string task) =>
        api.Run<MoveRequest, TaskItem>(req, Act.ChangeTasks, (caller, move, ct) => tasks.MoveAsync(caller, workspace, task, move.Status, move.Rank, Query.IfMatch(req), ct));

    [Function("DeleteTask")]
    public Task<IActionResult> Delete([HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = OneTask)] HttpRequest req, string workspace, string task) =>
        api.Run(req, Act.DeleteTasks, (caller, ct) => tasks.DeleteAsync(caller, workspace, task, Query.IfMatch(req), ct));

    [Function("GetBoard")]
    public Task<IActionResult> Board([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "workspaces/{workspace}/board")] HttpRequest req, string workspace) =>
        api.Run(req, Act.ReadWorkspace, (caller, ct) => tasks.BoardAsync(caller, workspace, ct));
}

/// <param name="Rank">Where in the column (see <see cref="TaskChanges.Rank"/>); default: the end of a new column, unchanged in the same one.</param>
public sealed record MoveRequest(string Status, double? Rank = null);

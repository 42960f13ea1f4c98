using Konduktor.Core.Contract;
using Konduktor.Core.Auth;
using Konduktor.Core.Results;
using Konduktor.Core.Sessions;
using Konduktor.Functions.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;

namespace Konduktor.Functions;

/// <summary>Sessions as people and agents see them: run a task, list and show sessions, read their logs.</summary>
public sealed class SessionFunctions(Api api, SessionStarts starts, SessionStops stops, SessionReads sessions, SessionLogs logs, SessionMessages messages)
{
    private const string OneSession = "workspaces/{workspace}/sessions/{session}";

    [Function("RunTask")]
    public Task<IActionResult> Run([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "workspaces/{workspace}/tasks/{task}/run")] HttpRequest req, string workspace, string task) =>
        api.Run(req, Operations.RunTask, (caller, ct) => starts.RunTaskAsync(caller, workspace, task, ct));

    [Function("ResumeTask")]
    public Task<IActionResult> Resume([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "workspaces/{workspace}/tasks/{task}/resume")] HttpRequest req, string workspace, string task) =>
        api.Run(req, Operations.ResumeTask, (caller, resume, ct) => starts.ResumeTaskAsync(caller, workspace, task, resume.Message, ct));

    [Function("StopTask")]
    public Task<IActionResult> StopTask([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "workspaces/{workspace}/tasks/{task}/stop")] HttpRequest req, string workspace, string task) =>
        api.Run(req, Operations.StopTask, (caller, ct) => stops.StopTaskAsync(caller, workspace, task, ct));

    [Function("SayToTask")]
    public Task<IActionResult> Say([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "workspaces/{workspace}/tasks/{task}/say")] HttpRequest req, string workspace, string task) =>
        api.Run(req, Operations.SayToTask, (caller, message, ct) => messages.SayAsync(caller, workspace, task, message, ct));

    [Function("ListTaskMessages")]
    public Task<IActionResult> ListMessages([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "workspaces/{workspace}/tasks/{task}/messages")] HttpRequest req, string workspace, string task) =>
        api.Run(req, Operations.ListTaskMessages, (caller, ct) => messages.ListAsync(caller, workspace, task, ct));

    [Function("StopSession")]
    public Task<IActionResult> Stop([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = OneSession + "/stop")] HttpRequest req, string workspace, string session) =>
        api.Run(req, Operations.StopSession, (caller, ct) => stops.StopAsync(caller, workspace, session, ct));

    [Function("ListSessions")]
    public Task<IActionResult> List([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "workspaces/{workspace}/sessions")] HttpRequest req, string workspace) =>
        api.Run(req, Operations.ListSessions, async (caller, ct) => await Query.SessionFilter(req).Then(filter => sessions.ListAsync(caller, workspace, filter, ct)));

    [Function("GetSession")]
    public Task<IActionResult> Get([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = OneSession)] HttpRequest req, string workspace, string session) =>
        api.Run(req, Operations.GetSession, (caller, ct) => sessions.GetAsync(caller, workspace, session, ct));

    /// <summary>Events after <c>?after=N</c> (default 0), at most <c>?limit</c>; <c>?wait=S</c> long-polls up to S seconds for new ones.</summary>
    [Function("ReadSessionLogs")]
    public Task<IActionResult> ReadLogs([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = OneSession + "/logs")] HttpRequest req, string workspace, string session) =>
        api.Run(req, Operations.ReadSessionLogs, (caller, ct) => ReadPageAsync(req, caller, workspace, session, ct));

    [Function("ReadSessionEntries")]
    public Task<IActionResult> ReadEntries([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = OneSession + "/entries")] HttpRequest req, string workspace, string session) =>
        api.Run(req, Operations.ReadSessionEntries, async (caller, ct) => (await ReadPageAsync(req, caller, workspace, session, ct)).Map(LogEntries.Of));

    /// <summary>The page of a session's log the query asks for: after a sequence number, up to a limit, waiting for more up to a time.</summary>
    private async Task<Result<LogPage>> ReadPageAsync(HttpRequest req, Principal caller, string workspace, string session, CancellationToken ct)
    {
        if (!Query.Number(req, "after", 0).TryGet(out var after, out var failure)
            || !Query.Number(req, "limit", 1000).TryGet(out var limit, out failure)
            || !Query.Number(req, "wait", 0).TryGet(out var wait, out failure))
        {
            return failure;
        }

        return await logs.ReadAsync(caller, workspace, session, after, (int)Math.Min(limit, int.MaxValue), TimeSpan.FromSeconds(Math.Min(wait, 3600)), ct);
    }
}


using Konduktor.Core.Contract;
using Konduktor.Core.Auth;
using Konduktor.Core.Results;
using Konduktor.Core.Runners;
using Konduktor.Core.Sessions;
using Konduktor.Functions.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;

namespace Konduktor.Functions;

/// <summary>The runner protocol: register, heartbeat, claim a session, report on it, ship its logs.</summary>
public sealed class RunnerFunctions(Api api, RunnerService runners, SessionClaims claims, SessionReports reports, SessionLogs logs, Transcripts transcripts, SessionMessages messages)
{
    private const string RunnerSession = "runner/workspaces/{workspace}/sessions/{session}";

    [Function("RegisterRunner")]
    public Task<IActionResult> Register([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "runners")] HttpRequest req) =>
        api.Run(req, Operations.RegisterRunner, (caller, input, ct) => runners.RegisterAsync(caller, input, ct));

    /// <summary>An admin prepares a runner's registration: a one-time secret, shown once.</summary>
    [Function("AddRunner")]
    public Task<IActionResult> Add([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "runners/registrations")] HttpRequest req) =>
        api.Run(req, Operations.AddRunner, (caller, input, ct) => runners.AddAsync(caller, input, ct));

    /// <summary>A runner trades its one-time registration secret (its bearer credential here, checked in core) for its own credential.</summary>
    [Function("ExchangeRunnerSecret")]
    public Task<IActionResult> Exchange([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "runners/exchange")] HttpRequest req) =>
        api.RunWithoutToken(req, Operations.ExchangeRunnerSecret, async ct =>
        {
            if (req.Headers.Authorization.ToString() is not { } header || !header.StartsWith("Bearer " + Konduktor.Core.Auth.Secrets.RegistrationPrefix, StringComparison.Ordinal))
            {
                return new Unauthorized("send the runner's one-time registration secret as the bearer token (from `konduktor runners add NAME`)");
            }

            return await RequestBody.ReadAsync<RegisterRunner>(req, ct) is var body && body.TryGet(out var runner, out var failure)
                ? await runners.ExchangeAsync(header["Bearer ".Length..], runner, ct)
                : failure;
        });

    /// <summary>Revokes a runner's credential.</summary>
    [Function("RemoveRunner")]
    public Task<IActionResult> Remove([HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = "runners/{name}")] HttpRequest req, string name) =>
        api.Run(req, Operations.RemoveRunner, (caller, ct) => runners.RemoveAsync(caller, name, ct));

    /// <summary>Job messages for a runner that reads the queue through the API (an account without keys cannot sign it a SAS).</summary>
    [Function("ReceiveJobs")]
    public Task<IActionResult> ReceiveJobs([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "runner/jobs/receive")] HttpRequest req) =>
        api.Run(req, Operations.ReceiveJobs, (caller, request, ct) => runners.ReceiveJobsAsync(request, ct));

    [Function("DeleteJob")]
    public Task<IActionResult> DeleteJob([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "runner/jobs/delete")] HttpRequest req) =>
        api.Run(req, Operations.DeleteJob, (caller, message, ct) => runners.DeleteJobAsync(message, ct));

    [Function("ListRunners")]
    public Task<IActionResult> List([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "runners")] HttpRequest req) =>
        api.Run(req, Operations.ListRunners, (caller, ct) => runners.ListAsync(ct));

    [Function("RunnerHeartbeat")]
    public Task<IActionResult> Heartbeat([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "runners/{runner}/heartbeat")] HttpRequest req, string runner) =>
        api.Run(req, Operations.RunnerHeartbeat, async (caller, beat, ct) => Guid.TryParse(runner, out var id)
            ? await runners.HeartbeatAsync(caller, id, beat, ct)
            : new NotFound($"no runner matches '{runner}'"));

    [Function("ClaimSession")]
    public Task<IActionResult> Claim([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = RunnerSession + "/claim")] HttpRequest req, string workspace, string session) =>
        api.Run(req, Operations.ClaimSession, async (caller, ct) => Ids(workspace, session) is (var w, var s) ? await claims.ClaimAsync(caller, w, s, ct) : NoSession(session));

    [Function("ReportSession")]
    public Task<IActionResult> Report([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = RunnerSession + "/report")] HttpRequest req, string workspace, string session) =>
        api.Run(req, Operations.ReportSession, async (caller, report, ct) => Ids(workspace, session) is (var w, var s) ? await reports.ReportAsync(caller, w, s, report, ct) : NoSession(session));

    [Function("AppendSessionLogs")]
    public Task<IActionResult> AppendLogs([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = RunnerSession + "/logs")] HttpRequest req, string workspace, string session) =>
        api.Run(req, Operations.AppendSessionLogs, async (caller, append, ct) => Ids(workspace, session) is (var w, var s) ? await logs.AppendAsync(caller, w, s, append, ct) : NoSession(session));

    /// <summary>The task's undelivered messages and a stop, at once or as they come; <c>?wait=S</c> long-polls up to S seconds (60 at most).</summary>
    [Function("ReadSessionInbox")]
    public Task<IActionResult> ReadInbox([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = RunnerSession + "/inbox")] HttpRequest req, string workspace, string session) =>
        api.Run(req, Operations.ReadSessionInbox, async (caller, ct) => Ids(workspace, session) is not (var w, var s) ? NoSession(session)
            : Query.Number(req, "wait", 0).TryGet(out var wait, out var failure) ? await messages.InboxAsync(caller, w, s, TimeSpan.FromSeconds(Math.Clamp(wait, 0, 60)), ct)
            : failure);

    [Function("DeliverSessionMessages")]
    public Task<IActionResult> Delivered([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = RunnerSession + "/inbox/delivered")] HttpRequest req, string workspace, string session) =>
        api.Run(req, Operations.DeliverSessionMessages, async (caller, delivered, ct) => Ids(workspace, session) is (var w, var s) ? await messages.DeliveredAsync(caller, w, s, delivered, ct) : NoSession(session));

    [Function("SaveTranscript")]
    public Task<IActionResult> SaveTranscript([HttpTrigger(AuthorizationLevel.Anonymous, "put", Route = RunnerSession + "/transcript")] HttpRequest req, string workspace, string session) =>
        api.Run(req, Operations.SaveTranscript, async (caller, ct) => Ids(workspace, session) is (var w, var s) ? await transcripts.SaveAsync(caller, w, s, req.Body, ct) : NoSession(session));

    [Function("LoadTranscript")]
    public Task<IActionResult> LoadTranscript([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = RunnerSession + "/transcript")] HttpRequest req, string workspace, string session) =>
        api.Run(req, Operations.LoadTranscript,
            async (caller, ct) => Ids(workspace, session) is (var w, var s) ? await transcripts.OpenAsync(caller, w, s, ct) : NoSession(session),
            stream => new StreamReply(stream, "application/x-ndjson"));

    [Function("WorktreeTaskStates")]
    public Task<IActionResult> TaskStates([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "runner/worktree-tasks")] HttpRequest req) =>
        api.Run(req, Operations.WorktreeTaskStates, (caller, query, ct) => reports.TaskStatesAsync(caller, query, ct));

    [Function("PoisonJob")]
    public Task<IActionResult> Poison([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "runner/poison")] HttpRequest req) =>
        api.Run(req, Operations.PoisonJob, (caller, job, ct) => reports.PoisonAsync(caller, job, ct));

    /// <summary>Runner routes name workspace and session by full id: the runner has them from the job message.</summary>
    private static (Guid Workspace, Guid Session)? Ids(string workspace, string session) =>
        Guid.TryParse(workspace, out var w) && Guid.TryParse(session, out var s) ? (w, s) : null;

    private static NotFound NoSession(string session) => new($"no session matches '{(session.Length > 40 ? session[..40] : session)}'");
}

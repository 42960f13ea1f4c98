using Konduktor.Core.Auth;
using Konduktor.Core.Quota;
using Konduktor.Core.Results;
using Konduktor.Core.Tasks;
using Konduktor.Core.Workspaces;
using Microsoft.Extensions.Logging;

namespace Konduktor.Core.Sessions;

/// <summary>
/// Usage limits and budgets: a session that stopped at its account's limit waits for the reset and then continues its
/// conversation (once, by itself, unless the workspace says a person does); budgets refuse what would spend past them.
/// </summary>
public sealed partial class SessionService
{
    /// <summary>
    /// The runner's agent stopped at its account's usage limit: the session keeps its conversation and its task, and
    /// waits for the reset (clamped to a sane range). Its run's cost counts now; its log goes on when it continues.
    /// </summary>
    private async Task<Result<Session>> ParkAsync(SessionEntity session, SessionReport report, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var limit = report.UsageLimit ?? new UsageLimit(UsageLimit.Rejected);
        var resetsAt = quota.ResetOf(limit, now);
        var workspace = await workspaces.FindByIdAsync(session.WorkspaceId, ct);
        var automatic = workspace?.Config.AutoResume != false;
        var updated = await UpdateSessionAsync(session, s =>
        {
            s.StatusValue = SessionStatus.WaitingForQuota;
            s.ClaudeSessionId = report.ClaudeSessionId ?? s.ClaudeSessionId;
            s.ExitCode = report.ExitCode;
            s.Error = report.Error;
            s.Outcome = report.Outcome is null ? s.Outcome : Json.KonduktorJson.Serialize(report.Outcome);
            s.LastSequence = report.LastSequence;
            s.TokenHash = null;
            s.QuotaResetsAt = resetsAt;
            s.ResumesAt = automatic ? resetsAt : null;
        }, ct);
        if (!updated.IsSuccess)
        {
            return updated;
        }

        await UpdateTaskCardAsync(session, task =>
        {
            AddRun(task, report);
            task.QuotaResetsAt = resetsAt;
            task.ResumesAt = automatic ? resetsAt : null;
        }, ct);
        await AddUsageAsync(session, report, ct);
        await active.UpsertAsync(session, null, ct);
        logger.LogInformation("Session {SessionId} waits for quota: account {Account} at its usage limit ({Window}) until {ResetsAt:u}; {Then}",
            session.Id, session.Account, limit.Window, resetsAt, automatic ? "it continues then" : "a person resumes it");
        return updated;
    }

    /// <summary>
    /// A session that waited for quota goes back on the queue to continue its conversation: at its reset (the janitor),
    /// or now, by hand, with what the person adds.
    /// </summary>
    internal async Task<Result<Session>> ContinueParkedAsync(SessionEntity session, string? message, string by, CancellationToken ct)
    {
        if (message is { Length: > MaxMessageLength })
        {
            return new TooLarge($"the message is {message.Length:N0} characters; the limit is {MaxMessageLength:N0}");
        }

        if (!SessionStates.CanMove(session.StatusValue, SessionStatus.Queued))
        {
            return new Conflict($"session {ShortId.Of(session.Id)} is {StatusName(session.StatusValue)}; only a session waiting for quota continues");
        }

        var continued = await UpdateSessionAsync(session, s =>
        {
            s.StatusValue = SessionStatus.Queued;
            s.Continuations++;
            s.ContinueWith = message;
            s.QuotaResetsAt = s.ResumesAt = null;
            s.RunnerId = null;
            s.RunnerName = null;
            s.ClaimedAt = null;
            s.StopRequestedAt = null;
        }, ct);
        if (!continued.IsSuccess)
        {
            return continued;
        }

        await UpdateTaskCardAsync(session, task => task.QuotaResetsAt = task.ResumesAt = null, ct);
        await QueueAsync(session, "resume the task", ct);
        logger.LogInformation("Session {SessionId} continues after waiting for quota ({By})", session.Id, by);
        return continued;
    }

    /// <summary>The task's session that waits for quota, if it has one.</summary>
    private async Task<SessionEntity?> ParkedSessionOfAsync(Principal caller, string workspaceRef, string taskRef, CancellationToken ct) =>
        (await tasks.FindAsync(caller, workspaceRef, taskRef, ct)).Value is { Entity.ActiveSessionId: { } activeId } found
        && await FindEntityAsync(found.Workspace.Id, Guid.Parse(activeId), ct) is { StatusValue: SessionStatus.WaitingForQuota } parked
            ? parked
            : null;

    /// <summary>
    /// Why a new session of this task may not start: the task has spent its budget, or the workspace its day's. Null
    /// when it may.
    /// </summary>
    private async Task<OverBudget?> BudgetRefusalAsync(Workspace workspace, TaskEntity task, CancellationToken ct)
    {
        var taskId = ShortId.Of(Guid.Parse(task.RowKey));
        if (TaskBudget(workspace, task) is { } budget && (decimal)task.CostUsd >= budget)
        {
            return new OverBudget($"task {taskId} has spent ${task.CostUsd:0.00} of its ${budget:0.00} budget; raise it (`konduktor tasks update {taskId} --budget N`) to run it again");
        }

        return await DailyRefusalAsync(workspace, null, null, ct);
    }

    /// <summary>The workspace's (and, for a scheduled agent, the agent's) daily budget, if today's spend has reached it.</summary>
    internal async Task<OverBudget?> DailyRefusalAsync(Workspace workspace, string? agentName, decimal? agentDailyBudget, CancellationToken ct)
    {
        var resets = usage.DayResetsAt();
        var until = resets - clock.GetUtcNow();
        var when = $"it resets at 00:00 UTC (in {(int)until.TotalHours} h {until.Minutes} min)";
        if (workspace.Config.DailyBudgetUsd is { } daily && await usage.SpentTodayAsync(workspace.Id, null, ct) is var spent && spent >= daily)
        {
            return new OverBudget($"workspace {workspace.Name} has spent ${spent:0.00} of its ${daily:0.00} daily budget today; {when}, or raise it (`konduktor config set --daily-budget N`)");
        }

        if (agentName is not null && agentDailyBudget is { } agentDaily && await usage.SpentTodayAsync(workspace.Id, agentName, ct) is var agentSpent && agentSpent >= agentDaily)
        {
            return new OverBudget($"agent {agentName} has spent ${agentSpent:0.00} of its ${agentDaily:0.00} daily budget today; {when}");
        }

        return null;
    }

    /// <summary>
    /// What one run may spend (Claude Code's <c>--max-budget-usd</c>, which counts only that run): what is left of the
    /// task's budget and of the workspace's day, and a scheduled agent's own limits; null when nothing limits it.
    /// </summary>
    private async Task<decimal?> RunBudgetAsync(Workspace workspace, TaskEntity? task, decimal? agentRunBudget, string? agentName, decimal? agentDailyBudget, CancellationToken ct)
    {
        var limits = new List<decimal>();
        if (task is not null && TaskBudget(workspace, task) is { } budget)
        {
            limits.Add(budget - (decimal)task.CostUsd);
        }

        if (workspace.Config.DailyBudgetUsd is { } daily)
        {
            limits.Add(daily - await usage.SpentTodayAsync(workspace.Id, null, ct));
        }

        if (agentRunBudget is { } perRun)
        {
            limits.Add(perRun);
        }

        if (agentName is not null && agentDailyBudget is { } agentDaily)
        {
            limits.Add(agentDaily - await usage.SpentTodayAsync(workspace.Id, agentName, ct));
        }

        // Claude Code takes no budget of zero: a run always gets a cent to stop on.
        return limits.Count == 0 ? null : Math.Max(0.01m, Math.Round(limits.Min(), 2, MidpointRounding.ToZero));
    }

    private static decimal? TaskBudget(Workspace workspace, TaskEntity task) =>
        task.BudgetUsd is { } own ? (decimal)own : workspace.Config.TaskBudgetUsd;

    private Task AddUsageAsync(SessionEntity session, SessionReport report, CancellationToken ct) =>
        usage.AddAsync(session.WorkspaceId, session.TaskId is { } taskId ? Guid.Parse(taskId) : null, session.AgentName, report.Outcome?.CostUsd, ct);
}

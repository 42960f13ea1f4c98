using Konduktor.Core.Quota;
using Konduktor.Core.Results;
using Konduktor.Core.Tasks;
using Konduktor.Core.Workspaces;

namespace Konduktor.Core.Sessions;

/// <summary>Budgets: what refuses a session that would spend past them, and what one run may spend.</summary>
public sealed class SessionBudgets(UsageLedger usage, TimeProvider clock)
{
    /// <summary>
    /// Why a new session of this task may not start: the task has spent its budget, or the workspace its day's. Null
    /// when it may.
    /// </summary>
    internal async Task<OverBudget?> RefusalAsync(Workspace workspace, TaskEntity task, CancellationToken ct)
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
    internal async Task<decimal?> RunBudgetAsync(Workspace workspace, TaskEntity? task, decimal? agentRunBudget, string? agentName, decimal? agentDailyBudget, CancellationToken ct)
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
}

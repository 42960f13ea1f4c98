using Konduktor.Core.Auth;
using Konduktor.Core.Results;
using Konduktor.Core.Tasks;
using Konduktor.Core.Workspaces;

namespace Konduktor.Core.Quota;

/// <summary>What a workspace's runs cost, per day, task and scheduled agent, beside its budgets: <c>konduktor usage</c> and the board's chart.</summary>
public sealed class UsageService(WorkspaceService workspaces, TaskService tasks, UsageLedger ledger)
{
    /// <summary>The costliest tasks named with their titles; the rest by id.</summary>
    private const int TitledTasks = 20;

    public async Task<Result<UsageReport>> ReadAsync(Principal caller, string workspaceRef, long days, CancellationToken ct)
    {
        if (days is < 1 or > UsageLedger.MaxDays)
        {
            return new Invalid($"days is 1 to {UsageLedger.MaxDays}", "days");
        }

        if (!(await workspaces.ResolveAsync(caller, workspaceRef, ct)).TryGet(out var workspace, out var failure))
        {
            return failure;
        }

        var (byDay, byTask, byAgent, from, to) = await ledger.ReadAsync(workspace.Id, (int)days, ct);
        var titled = new List<UsageTotal>();
        foreach (var task in byTask)
        {
            titled.Add(titled.Count < TitledTasks && Guid.TryParse(task.Key, out var taskId) ? task with { Title = await tasks.TitleOfAsync(workspace.Id, taskId, ct) } : task);
        }

        return new UsageReport(workspace.Name, from, to, byDay, titled, byAgent, ledger.DayResetsAt(), workspace.Config.DailyBudgetUsd, workspace.Config.TaskBudgetUsd);
    }
}

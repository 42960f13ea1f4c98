using Azure.Data.Tables;
using Konduktor.Core.Auth;
using Konduktor.Core.Results;
using Konduktor.Core.Storage;
using Konduktor.Core.Tasks;
using Konduktor.Core.Workspaces;
using Microsoft.Extensions.Logging;

namespace Konduktor.Core.Sessions;

/// <summary>
/// Tasks marked to run by themselves start when nothing they wait for is unfinished: from the work queue when a
/// blocker reaches Done (or goes away), and from a sweep that catches what a stopped host owed. Each starts once: the
/// start clears the task's mark in the same conditional write that points it at its session, so a second host, a
/// redelivered message or the sweep finds nothing left to start.
/// </summary>
public sealed class AutoRuns(TaskDependencies dependencies, SessionStarts sessions, TaskService tasks, WorkspaceService workspaces, StorageClients storage, ILogger<AutoRuns> logger)
{
    private static readonly Principal Konduktor = Principal.Konduktor("auto-run");

    /// <summary>Starts what <paramref name="changedTaskId"/> was the last unfinished blocker of, and the task itself when it is free; says what happened.</summary>
    public async Task<string> StartUnblockedAsync(Workspace workspace, Guid changedTaskId, CancellationToken ct)
    {
        var candidates = (await dependencies.DependentsOfAsync(workspace.Id, changedTaskId, ct)).Prepend(changedTaskId).Distinct();
        var said = new List<string>();
        foreach (var taskId in candidates)
        {
            said.Add(await StartIfFreeAsync(workspace, taskId, taskId == changedTaskId ? null : changedTaskId, ct));
        }

        return string.Join("; ", said);
    }

    /// <summary>The sweep: every task still marked to start by itself is looked at again (a small table; nothing is written when nothing is due).</summary>
    public async Task<int> SweepAsync(CancellationToken ct)
    {
        var started = 0;
        await foreach (var (workspaceId, taskId) in dependencies.WaitingAutoRunsAsync(ct))
        {
            if (await workspaces.FindByIdAsync(workspaceId, ct) is not { } workspace)
            {
                await dependencies.ForgetAutoRunAsync(workspaceId, taskId, ct);
                continue;
            }

            started += (await StartIfFreeAsync(workspace, taskId, null, ct)).Contains("queued", StringComparison.Ordinal) ? 1 : 0;
        }

        return started;
    }

    private async Task<string> StartIfFreeAsync(Workspace workspace, Guid taskId, Guid? blockerId, CancellationToken ct)
    {
        var id = ShortId.Of(taskId);
        var table = await storage.Table(TableNames.Tasks);
        var found = await table.GetEntityIfExistsAsync<TaskEntity>(ShortId.Format(workspace.Id), ShortId.Format(taskId), ["RowKey", "Status", "BlockedBy", "AutoRun"], ct);
        if (!found.HasValue || found.Value is not { } task)
        {
            await dependencies.ForgetAutoRunAsync(workspace.Id, taskId, ct);
            return $"task {id} is gone";
        }

        if (blockerId is { } blocker && !TaskDependencies.BlockersOf(task).Contains(blocker))
        {
            await dependencies.UnlinkAsync(workspace.Id, taskId, [blocker], ct);
            return $"task {id} no longer waits for {ShortId.Of(blocker)}";
        }

        if (!task.AutoRun || task.Status is BoardColumns.Done or BoardColumns.Closed)
        {
            await dependencies.ForgetAutoRunAsync(workspace.Id, taskId, ct);
            return $"task {id} does not start by itself";
        }

        if ((await dependencies.UnfinishedAsync(workspace.Id, TaskDependencies.BlockersOf(task), ct)) is { Count: > 0 } unfinished)
        {
            return $"task {id} still waits for {string.Join(", ", unfinished.Select(b => b.ShortId))}";
        }

        var started = await sessions.StartAutoRunAsync(Konduktor, workspace, taskId, ct);
        string outcome;
        if (started.TryGet(out var session, out var failure))
        {
            outcome = $"task {id}: session {session.ShortId} queued, nothing it waits for is unfinished";
            logger.LogInformation("Task {TaskId} starts by itself: session {SessionId}", taskId, session.Id);
        }
        else if (failure == SessionStarts.AutoRunStarted)
        {
            outcome = $"task {id} has started already";
        }
        else
        {
            // It will not start by itself now (over budget, gated by its phase, …): the person sees why, and runs it.
            await tasks.ChangeAsync(workspace.Id, taskId, entity =>
            {
                (entity.AutoRun, entity.Note) = (false, $"Did not start by itself once nothing it waits for was unfinished: {failure.Message}");
                return Task.FromResult<Result<TaskEdit>>(TaskEdit.Save);
            }, ct);
            outcome = $"task {id} did not start by itself: {failure.Message}";
        }

        await dependencies.ForgetAutoRunAsync(workspace.Id, taskId, ct);
        return outcome;
    }
}

using Azure;
using Azure.Data.Tables;
using Konduktor.Core.GitHub;
using Konduktor.Core.Json;
using Konduktor.Core.Results;
using Konduktor.Core.Storage;
using Konduktor.Core.Workspaces;

namespace Konduktor.Core.Tasks;

/// <summary>A task another one waits for, as the waiting task shows it: what it is and where it stands.</summary>
public sealed record TaskBlocker(Guid Id, string Title, string Status)
{
    public string ShortId => Core.ShortId.Of(Id);
}

/// <summary>
/// Tasks that wait for other tasks of their workspace. A task keeps the ids of its blockers (<c>BlockedBy</c>); a blocker
/// is finished when it is in Done. The <c>tasklinks</c> table holds the edges the other way round
/// (<c>blocks:{blocker}:{dependent}</c>), so a task reaching Done finds who waited for it with one range query, and
/// <c>autorun:{task}</c> rows for tasks that start by themselves once nothing blocks them, which a timer sweeps in case a
/// host stopped between a blocker's move and the start it owed. A link row is written before the task that needs it and
/// removed after: a stale one is only a wasted look, a missing one never happens.
/// </summary>
public sealed class TaskDependencies(StorageClients storage, GitHubWork work)
{
    public const int MaxBlockers = 20;
    private const int MaxWalk = 2_000;
    private const string Blocks = "blocks:";
    private const string AutoRunRow = "autorun:";

    /// <summary>The blockers a change names, resolved in the workspace: never the task itself, never a cycle (spelled out when refused).</summary>
    internal async Task<Result<IReadOnlyList<Guid>>> ResolveAsync(Workspace workspace, TaskEntity task, IReadOnlyList<string> references, CancellationToken ct)
    {
        var taskId = Guid.Parse(task.RowKey);
        if (references.Count > MaxBlockers)
        {
            return new Invalid($"a task can wait for at most {MaxBlockers} tasks", "blockedBy");
        }

        var table = await storage.Table(TableNames.Tasks);
        var blockers = new List<TaskEntity>();
        foreach (var reference in references.Select(r => r.Trim()).Where(r => r.Length > 0))
        {
            var found = await PrefixLookup.FindAsync<TaskEntity>(table, ShortId.Format(workspace.Id), reference, "task", e => $"{e.RowKey} \"{e.Title}\"", ct);
            if (!found.TryGet(out var blocker, out var failure))
            {
                return failure is NotFound ? new Invalid($"{failure.Message} in {workspace.Name}: a task can only wait for tasks of its own workspace", "blockedBy") : failure;
            }

            if (blocker.RowKey == task.RowKey)
            {
                return new Invalid($"task {ShortId.Of(taskId)} cannot wait for itself", "blockedBy");
            }

            if (blockers.All(b => b.RowKey != blocker.RowKey))
            {
                blockers.Add(blocker);
            }
        }

        if (await CycleAsync(workspace.Id, task, blockers, ct) is { } cycle)
        {
            return new Conflict($"that would make a cycle: {cycle}; a task cannot wait, through others, for itself");
        }

        return blockers.Select(b => Guid.Parse(b.RowKey)).ToList();
    }

    /// <summary>
    /// Walks from each new blocker along what it waits for; reaching the task is a cycle, returned as
    /// <c>A "…" waits for B "…", which waits for A "…"</c>.
    /// </summary>
    private async Task<string?> CycleAsync(Guid workspaceId, TaskEntity task, IReadOnlyList<TaskEntity> blockers, CancellationToken ct)
    {
        var taskId = Guid.Parse(task.RowKey);
        var known = new Dictionary<Guid, (string Title, IReadOnlyList<Guid> BlockedBy)> { [taskId] = (task.Title, []) };
        foreach (var blocker in blockers)
        {
            known[Guid.Parse(blocker.RowKey)] = (blocker.Title, BlockersOf(blocker));
        }

        var seen = new HashSet<Guid>();
        var paths = new Stack<List<Guid>>(blockers.Select(b => new List<Guid> { Guid.Parse(b.RowKey) }));
        while (paths.TryPop(out var path))
        {
            var node = path[^1];
            if (node == taskId)
            {
                var chain = new[] { taskId }.Concat(path).Select(id => $"{ShortId.Of(id)} \"{known[id].Title}\"").ToList();
                return string.Join(", which waits for ", [$"{chain[0]} waits for {chain[1]}", .. chain.Skip(2)]);
            }

            if (!seen.Add(node) || seen.Count > MaxWalk)
            {
                continue;
            }

            if (!known.TryGetValue(node, out var facts))
            {
                var read = await ReadAsync(workspaceId, node, ct);
                if (read is null)
                {
                    continue;
                }

                known[node] = facts = (read.Title, BlockersOf(read));
            }

            foreach (var next in facts.BlockedBy)
            {
                paths.Push([.. path, next]);
            }
        }

        return null;
    }

    /// <summary>Records the edges a task's new blockers need, and its waiting auto-run, before the task itself is saved.</summary>
    internal async Task LinkAsync(Guid workspaceId, Guid taskId, IEnumerable<Guid> blockers, bool autoRun, CancellationToken ct)
    {
        var table = await storage.Table(TableNames.TaskLinks);
        var partition = ShortId.Format(workspaceId);
        var rows = blockers.Select(b => new TableEntity(partition, Edge(b, taskId))).ToList();
        if (autoRun)
        {
            rows.Add(new TableEntity(partition, AutoRunRow + ShortId.Format(taskId)));
        }

        await Task.WhenAll(rows.Select(row => table.UpsertEntityAsync(row, TableUpdateMode.Replace, ct)));
    }

    /// <summary>Forgets the edges of blockers a task no longer waits for, once the task is saved without them.</summary>
    internal async Task UnlinkAsync(Guid workspaceId, Guid taskId, IEnumerable<Guid> formerBlockers, CancellationToken ct)
    {
        var table = await storage.Table(TableNames.TaskLinks);
        await Task.WhenAll(formerBlockers.Select(b => table.DeleteEntityAsync(ShortId.Format(workspaceId), Edge(b, taskId), ETag.All, ct)));
    }

    /// <summary>The tasks that said they wait for <paramref name="blockerId"/> (a stale edge may name one that no longer does).</summary>
    internal async Task<IReadOnlyList<Guid>> DependentsOfAsync(Guid workspaceId, Guid blockerId, CancellationToken ct)
    {
        var table = await storage.Table(TableNames.TaskLinks);
        var prefix = $"{Blocks}{ShortId.Format(blockerId)}:";
        var dependents = new List<Guid>();
        var query = table.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {ShortId.Format(workspaceId)} and RowKey ge {prefix} and RowKey lt {ShortId.UpperBound(prefix)}"), select: ["RowKey"], cancellationToken: ct);
        await foreach (var row in query)
        {
            dependents.Add(Guid.Parse(row.RowKey[prefix.Length..]));
        }

        return dependents;
    }

    /// <summary>Every task, in any workspace, marked to start by itself and not started yet: a small table's scan.</summary>
    internal async IAsyncEnumerable<(Guid WorkspaceId, Guid TaskId)> WaitingAutoRunsAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        var table = await storage.Table(TableNames.TaskLinks);
        var query = table.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"RowKey ge {AutoRunRow} and RowKey lt {ShortId.UpperBound(AutoRunRow)}"), select: ["PartitionKey", "RowKey"], cancellationToken: ct);
        await foreach (var row in query)
        {
            yield return (Guid.Parse(row.PartitionKey), Guid.Parse(row.RowKey[AutoRunRow.Length..]));
        }
    }

    internal async Task ForgetAutoRunAsync(Guid workspaceId, Guid taskId, CancellationToken ct)
    {
        var table = await storage.Table(TableNames.TaskLinks);
        await table.DeleteEntityAsync(ShortId.Format(workspaceId), AutoRunRow + ShortId.Format(taskId), ETag.All, ct);
    }

    /// <summary>An auto-run task's own blockers changed, or it was just marked: it may be free to start.</summary>
    internal Task MayUnblockAsync(Guid workspaceId, Guid taskId, CancellationToken ct) =>
        work.EnqueueAsync(new GitHubWorkItem(GitHubWorkKind.StartUnblocked, workspaceId, taskId), ct);

    /// <summary>A task reached Done or went away: the tasks that waited for it may be free to start (nothing is sent when none did).</summary>
    internal async Task BlockerFinishedAsync(Guid workspaceId, Guid taskId, CancellationToken ct)
    {
        if ((await DependentsOfAsync(workspaceId, taskId, ct)).Count > 0)
        {
            await MayUnblockAsync(workspaceId, taskId, ct);
        }
    }

    /// <summary>The task's blockers that are not Done yet, with one point read per blocker (one that was deleted no longer blocks).</summary>
    internal async Task<IReadOnlyList<TaskBlocker>> UnfinishedAsync(Guid workspaceId, IReadOnlyList<Guid> blockers, CancellationToken ct)
    {
        var reads = await Task.WhenAll(blockers.Select(id => ReadAsync(workspaceId, id, ct)));
        return reads.OfType<TaskEntity>().Where(b => !IsFinished(b.Status)).Select(b => new TaskBlocker(Guid.Parse(b.RowKey), b.Title, b.Status)).ToList();
    }

    /// <summary>A task with an unfinished blocker may not run: the refusal names each, with its column.</summary>
    internal async Task<Result<Done>> MayRunAsync(TaskEntity task, CancellationToken ct)
    {
        var unfinished = await UnfinishedAsync(Guid.Parse(task.PartitionKey), BlockersOf(task), ct);
        if (unfinished.Count == 0)
        {
            return Done.Value;
        }

        var id = ShortId.Of(Guid.Parse(task.RowKey));
        return new Conflict($"task {id} waits for {Describe(unfinished)}; it can run once {(unfinished.Count == 1 ? "that task is" : "they are")} Done, or take {(unfinished.Count == 1 ? "it" : "them")} off with `konduktor tasks update {id} --unblock`");
    }

    /// <summary>The board's tasks, each that waits for an unfinished one marked with its blockers (from the same read: no extra storage call).</summary>
    internal static IEnumerable<TaskItem> MarkBlocked(IReadOnlyList<TaskItem> tasks)
    {
        var byId = tasks.ToDictionary(t => t.Id);
        foreach (var task in tasks)
        {
            var unfinished = task.BlockedBy
                .Select(id => byId.GetValueOrDefault(id))
                .OfType<TaskItem>()
                .Where(b => !IsFinished(b.Status))
                .Select(b => new TaskBlocker(b.Id, b.Title, b.Status))
                .ToList();
            yield return unfinished.Count == 0 ? task : WithBlockers(task, unfinished);
        }
    }

    internal static TaskItem WithBlockers(TaskItem task, IReadOnlyList<TaskBlocker> unfinished) =>
        unfinished.Count == 0 ? task : task with { Blockers = unfinished, Blocked = task.Blocked ?? $"Waits for {Describe(unfinished)}" };

    internal static bool IsFinished(string status) => string.Equals(status, BoardColumns.Done, StringComparison.OrdinalIgnoreCase);

    internal static IReadOnlyList<Guid> BlockersOf(TaskEntity task) =>
        string.IsNullOrEmpty(task.BlockedBy) ? [] : KonduktorJson.Deserialize<List<Guid>>(task.BlockedBy) ?? [];

    internal static string? Store(IReadOnlyList<Guid> blockers) => blockers.Count == 0 ? null : KonduktorJson.Serialize(blockers.ToList());

    private static string Describe(IReadOnlyList<TaskBlocker> blockers) =>
        string.Join(", ", blockers.Select(b => $"{b.ShortId} \"{b.Title}\" ({b.Status})"));

    private static string Edge(Guid blocker, Guid dependent) => $"{Blocks}{ShortId.Format(blocker)}:{ShortId.Format(dependent)}";

    private async Task<TaskEntity?> ReadAsync(Guid workspaceId, Guid taskId, CancellationToken ct)
    {
        var table = await storage.Table(TableNames.Tasks);
        var found = await table.GetEntityIfExistsAsync<TaskEntity>(ShortId.Format(workspaceId), ShortId.Format(taskId), ["RowKey", "Title", "Status", "BlockedBy"], ct);
        return found.HasValue ? found.Value : null;
    }
}

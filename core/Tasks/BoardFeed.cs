using Azure.Data.Tables;
using Konduktor.Core.Auth;
using Konduktor.Core.Results;
using Konduktor.Core.Storage;
using Konduktor.Core.Workspaces;

namespace Konduktor.Core.Tasks;

/// <summary>Where a board is: an opaque cursor, and whether the board changed since the cursor it was asked about.</summary>
public sealed record BoardCursor(string Cursor, bool Changed);

/// <summary>
/// One change feed per workspace, so an open board long-polls instead of re-reading the whole board: every task write
/// on this host wakes the workspace's waiting boards at once, and notes the change in the workspace's row of
/// <c>boardchanges</c>; writes on other hosts (Azure scales out) are seen by one point read of that row a minute per
/// workspace. An idle open board costs that read and nothing else: the workspace a cursor belongs to is remembered,
/// the caller's credential is checked without storage, and the answer is not masked (it holds no workspace data).
/// </summary>
public sealed class BoardFeed(WorkspaceService workspaces, StorageClients storage, TimeProvider clock)
{
    public static readonly TimeSpan MaxWait = TimeSpan.FromSeconds(50);
    private static readonly TimeSpan OtherHostsLook = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan WorkspaceMemory = TimeSpan.FromMinutes(10);
    private const string Row = "last";

    /// <summary>A cursor from before this host started is never current: the board reads itself once, then follows.</summary>
    private readonly string _epoch = Guid.NewGuid().ToString("N")[..8];
    private readonly Lock _gate = new();
    private readonly Dictionary<Guid, Feed> _feeds = [];
    private readonly Dictionary<string, (Workspace Workspace, DateTimeOffset Until)> _workspaces = new(StringComparer.OrdinalIgnoreCase);

    private sealed class Feed
    {
        public long Version;
        public TaskCompletionSource Changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public DateTimeOffset LookedAt;
        public DateTimeOffset OtherHostsSeen;
        public Task? Looking;
    }

    /// <summary>A task (or a project phase) of the workspace changed on this host: its open boards hear of it now, other hosts' within a minute.</summary>
    internal async Task ChangedAsync(Guid workspaceId, CancellationToken ct)
    {
        Pulse(workspaceId);
        try
        {
            var table = await storage.Table(TableNames.BoardChanges);
            await table.UpsertEntityAsync(new TableEntity(ShortId.Format(workspaceId), Row) { ["Host"] = _epoch, ["ChangedAt"] = clock.GetUtcNow() }, TableUpdateMode.Replace, ct);
        }
        catch (Azure.RequestFailedException)
        {
            // Boards on this host know already; other hosts' learn it from the next change.
        }
    }

    /// <summary>The cursor of the workspace's board as it is now: a board read after it is at least this fresh.</summary>
    internal string CursorOf(Guid workspaceId)
    {
        lock (_gate)
        {
            return $"{_epoch}.{FeedOf(workspaceId).Version}";
        }
    }

    /// <summary>Wakes this host's open boards of the workspace without noting a change for other hosts (a running card's activity line).</summary>
    internal void Pulse(Guid workspaceId)
    {
        TaskCompletionSource changed;
        lock (_gate)
        {
            var feed = FeedOf(workspaceId);
            feed.Version++;
            (changed, feed.Changed) = (feed.Changed, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        }

        changed.TrySetResult();
    }

    /// <summary>
    /// Answers at once with a new cursor when the board changed since <paramref name="cursor"/> (or the cursor is not
    /// this host's), else when it changes, or after <paramref name="wait"/> with the same cursor.
    /// </summary>
    public async Task<Result<BoardCursor>> WaitAsync(Principal caller, string workspaceRef, string? cursor, TimeSpan wait, CancellationToken ct)
    {
        if (wait < TimeSpan.Zero || wait > MaxWait)
        {
            return new Invalid($"wait is 0 to {MaxWait.TotalSeconds:0} seconds", "wait");
        }

        if (!(await WorkspaceAsync(caller, workspaceRef, ct)).TryGet(out var workspace, out var failure))
        {
            return failure;
        }

        var deadline = clock.GetUtcNow() + wait;
        while (true)
        {
            Task changed;
            string current;
            lock (_gate)
            {
                current = CursorOf(workspace.Id);
                changed = FeedOf(workspace.Id).Changed.Task;
            }

            if (current != cursor)
            {
                return new BoardCursor(current, Changed: true);
            }

            var remaining = deadline - clock.GetUtcNow();
            if (remaining <= TimeSpan.Zero)
            {
                return new BoardCursor(current, Changed: false);
            }

            var look = LookAtOtherHostsAsync(workspace.Id, ct);
            await Task.WhenAny(changed, look, Task.Delay(remaining < OtherHostsLook ? remaining : OtherHostsLook, ct));
            ct.ThrowIfCancellationRequested();
        }
    }

    /// <summary>At most once a minute per workspace: did a task change on another host? (One query, one row at most.)</summary>
    private Task LookAtOtherHostsAsync(Guid workspaceId, CancellationToken ct)
    {
        lock (_gate)
        {
            var feed = FeedOf(workspaceId);
            var now = clock.GetUtcNow();
            if (feed.Looking is { IsCompleted: false } running)
            {
                return running;
            }

            if (feed.LookedAt == default)
            {
                feed.LookedAt = now;
            }

            if (now - feed.LookedAt < OtherHostsLook)
            {
                return Task.Delay(feed.LookedAt + OtherHostsLook - now, ct);
            }

            feed.LookedAt = now;
            return feed.Looking = LookAsync(workspaceId, feed, ct);
        }
    }

    private async Task LookAsync(Guid workspaceId, Feed feed, CancellationToken ct)
    {
        var table = await storage.Table(TableNames.BoardChanges);
        var found = await table.GetEntityIfExistsAsync<TableEntity>(ShortId.Format(workspaceId), Row, cancellationToken: ct);
        if (found.HasValue && found.Value is { } row && row.GetString("Host") != _epoch && row.GetDateTimeOffset("ChangedAt") is { } at && at > feed.OtherHostsSeen)
        {
            feed.OtherHostsSeen = at;
            Pulse(workspaceId);
        }
    }

    /// <summary>The workspace a board follows, remembered a minute (the caller's right to it is checked every time).</summary>
    private async Task<Result<Workspace>> WorkspaceAsync(Principal caller, string workspaceRef, CancellationToken ct)
    {
        lock (_gate)
        {
            if (_workspaces.TryGetValue(workspaceRef, out var known) && known.Until > clock.GetUtcNow())
            {
                return caller.MayUseWorkspace(known.Workspace.Id, known.Workspace.Name).Map(_ => known.Workspace);
            }
        }

        if (!(await workspaces.ResolveAsync(caller, workspaceRef, ct)).TryGet(out var workspace, out var failure))
        {
            return failure;
        }

        lock (_gate)
        {
            _workspaces[workspaceRef] = (workspace, clock.GetUtcNow() + WorkspaceMemory);
        }

        return workspace;
    }

    private Feed FeedOf(Guid workspaceId)
    {
        if (!_feeds.TryGetValue(workspaceId, out var feed))
        {
            _feeds[workspaceId] = feed = new Feed();
        }

        return feed;
    }
}

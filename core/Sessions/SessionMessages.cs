using System.Text.Json.Serialization;
using Azure.Data.Tables;
using Konduktor.Core.Auth;
using Konduktor.Core.Json;
using Konduktor.Core.Results;
using Konduktor.Core.Storage;
using Konduktor.Core.Tasks;
using Microsoft.Extensions.Logging;

namespace Konduktor.Core.Sessions;

/// <summary>How a person's words reached the agent.</summary>
[JsonConverter(typeof(JsonEnumName<MessageVia>))]
public enum MessageVia
{
    /// <summary><c>tasks say</c> or the board's message box.</summary>
    Say,

    /// <summary>An answer to a question the running agent asked.</summary>
    Answer,

    /// <summary>What the session was started with: the task (a new conversation), or why it runs (auto-fix).</summary>
    Prompt,

    /// <summary>The message a resume was given.</summary>
    Resume,
}

/// <param name="Now">Interrupt the turn in flight: the agent answers this message next.</param>
public sealed record NewSessionMessage(string? Text, bool Now = false);

/// <summary>Something a person said to a task's agent, kept in order until a runner gives it to the agent, and after.</summary>
public sealed record SessionMessage
{
    public required Guid Id { get; init; }

    public required Guid TaskId { get; init; }

    /// <summary>The session that was active when it was said (a later session of the task may be the one that delivers it).</summary>
    public required Guid SessionId { get; init; }

    public required string From { get; init; }

    public required DateTimeOffset SentAt { get; init; }

    public required string Text { get; init; }

    public required MessageVia Via { get; init; }

    public bool Now { get; init; }

    /// <summary>When a runner wrote it to the agent; null while it waits for the agent's next turn.</summary>
    public DateTimeOffset? DeliveredAt { get; init; }

    /// <summary>The session whose agent got it.</summary>
    public Guid? DeliveredInSessionId { get; init; }
}

/// <summary>What a runner's agent is to hear next: messages not yet delivered (oldest first), and whether a person asked it to stop.</summary>
public sealed record SessionInbox(IReadOnlyList<SessionMessage> Messages, bool StopRequested);

/// <summary>The messages a runner has written to its agent.</summary>
public sealed record MessagesDelivered(IReadOnlyList<Guid> Messages);

/// <summary>
/// Messages from people to a task's running agent. Each is stored on the task, in order, before it is acknowledged, and
/// stays undelivered until a runner running that task's conversation writes it to the agent: a message sent while the
/// session is queued, setting up, between turns, waiting for quota or while its runner dies reaches whichever session
/// runs the conversation next. A runner long-polls its session's inbox (woken at once in this process, re-read every
/// second from others), which also carries a person's stop, so both reach the runner within a second.
/// </summary>
public sealed class SessionMessages(SessionStore sessions, TaskService tasks, StorageClients storage, TimeProvider clock, IIdGenerator ids, ILogger<SessionMessages> logger)
{
    public const int MaxTextLength = SessionStore.MaxMessageLength;
    private static readonly TimeSpan CrossInstancePoll = TimeSpan.FromSeconds(1);

    /// <summary>Wakes inbox long polls only (not every log batch, as <see cref="SessionSignals"/> does).</summary>
    private readonly SessionSignals _inbox = new();

    /// <summary>A person's message to the task's active session; refused, with what to do instead, when none is active.</summary>
    public async Task<Result<SessionMessage>> SayAsync(Principal caller, string workspaceRef, string taskRef, NewSessionMessage input, CancellationToken ct)
    {
        var text = (input.Text ?? "").Trim();
        if (text.Length == 0)
        {
            return new Invalid("the message is empty", "text");
        }

        if (text.Length > MaxTextLength)
        {
            return new TooLarge($"the message is {text.Length:N0} characters; the limit is {MaxTextLength:N0} (put long material in a doc and point the agent at it)");
        }

        if (!(await tasks.FindAsync(caller, workspaceRef, taskRef, ct)).TryGet(out var found, out var failure))
        {
            return failure;
        }

        var (workspace, task) = found;
        var taskShort = ShortId.Of(Guid.Parse(task.RowKey));
        var active = task.ActiveSessionId is { } activeId ? await sessions.FindEntityAsync(workspace.Id, Guid.Parse(activeId), ct) : null;
        if (active is null || SessionStates.IsFinal(active.StatusValue))
        {
            var last = task.LatestSessionStatus is { } status ? $" (its last session ended {status})" : "";
            return new Conflict($"task {taskShort} has no running session to tell{last}; to continue its conversation with this message: konduktor tasks resume {taskShort} -m \"…\"");
        }

        return await AddAsync(workspace.Id, Guid.Parse(task.RowKey), active.Id, caller.Name, text, MessageVia.Say, input.Now, ct);
    }

    /// <summary>Stores a message for the task's conversation and wakes the runner waiting for it.</summary>
    internal async Task<SessionMessage> AddAsync(Guid workspaceId, Guid taskId, Guid sessionId, string from, string text, MessageVia via, bool now, CancellationToken ct)
    {
        var sentAt = clock.GetUtcNow();
        var id = ids.NewId();
        var entity = new SessionMessageEntity
        {
            PartitionKey = ShortId.Format(taskId),
            RowKey = SessionMessageEntity.RowKeyFor(sentAt, id),
            WorkspaceId = ShortId.Format(workspaceId),
            SessionId = ShortId.Format(sessionId),
            From = from,
            Text = text,
            Via = via.ToString(),
            Now = now,
            SentAt = sentAt,
        };
        var table = await storage.Table(TableNames.SessionMessages);
        await table.AddEntityAsync(entity, ct);
        _inbox.Pulse(sessionId);
        logger.LogInformation("Message {MessageId} for session {SessionId} of task {TaskId} from {Principal}", id, sessionId, taskId, from);
        return entity.ToMessage();
    }

    /// <summary>Every message said to a task, oldest first, delivered or not.</summary>
    public async Task<Result<IReadOnlyList<SessionMessage>>> ListAsync(Principal caller, string workspaceRef, string taskRef, CancellationToken ct)
    {
        if (!(await tasks.FindAsync(caller, workspaceRef, taskRef, ct)).TryGet(out var found, out var failure))
        {
            return failure;
        }

        return await ReadAsync(Guid.Parse(found.Entity.RowKey), pendingOnly: false, ct);
    }

    /// <summary>
    /// A runner's long poll for its session: the task's undelivered messages and whether a stop was asked, at once when
    /// there is either, else when one arrives or <paramref name="wait"/> passes.
    /// </summary>
    public async Task<Result<SessionInbox>> InboxAsync(Principal caller, Guid workspaceId, Guid sessionId, TimeSpan wait, CancellationToken ct)
    {
        var deadline = clock.GetUtcNow() + wait;
        while (true)
        {
            var seen = _inbox.Version(sessionId);
            if (!(await sessions.FindOwnedAsync(caller, workspaceId, sessionId, ct)).TryGet(out var session, out var failure))
            {
                return failure;
            }

            var pending = session.TaskId is { } taskId ? await ReadAsync(Guid.Parse(taskId), pendingOnly: true, ct) : [];
            var stop = session.StopRequestedAt is not null || SessionStates.IsFinal(session.StatusValue);
            var left = deadline - clock.GetUtcNow();
            if (pending.Count > 0 || stop || left <= TimeSpan.Zero)
            {
                return new SessionInbox(pending, stop);
            }

            await _inbox.WaitAsync(sessionId, seen, left < CrossInstancePoll ? left : CrossInstancePoll, ct);
        }
    }

    /// <summary>Wakes the session's runner's long poll (a stop was asked).</summary>
    internal void Wake(Guid sessionId) => _inbox.Pulse(sessionId);

    /// <summary>Records that the runner wrote these messages to its agent; a message already delivered keeps its first delivery.</summary>
    public async Task<Result<Done>> DeliveredAsync(Principal caller, Guid workspaceId, Guid sessionId, MessagesDelivered delivered, CancellationToken ct)
    {
        if (!(await sessions.FindOwnedAsync(caller, workspaceId, sessionId, ct)).TryGet(out var session, out var failure))
        {
            return failure;
        }

        if (session.TaskId is not { } taskId)
        {
            return delivered.Messages.Count == 0 ? Done.Value : new Conflict($"session {ShortId.Of(sessionId)} is a scheduled agent's run: no one sends it messages");
        }

        var wanted = delivered.Messages.ToHashSet();
        var table = await storage.Table(TableNames.SessionMessages);
        var now = clock.GetUtcNow();
        await foreach (var entity in table.QueryAsync<SessionMessageEntity>(e => e.PartitionKey == taskId, cancellationToken: ct))
        {
            if (!wanted.Remove(Guid.Parse(SessionMessageEntity.IdOf(entity.RowKey))) || entity.DeliveredAt is not null)
            {
                continue;
            }

            entity.DeliveredAt = now;
            entity.DeliveredInSessionId = ShortId.Format(sessionId);
            try
            {
                await table.UpdateEntityAsync(entity, entity.ETag, TableUpdateMode.Replace, ct);
            }
            catch (Azure.RequestFailedException e) when (Optimistic.IsLostRace(e))
            {
                // Recorded by a retry of this same report: its first delivery stands.
            }
        }

        return wanted.Count == 0 ? Done.Value : new Invalid($"no message {string.Join(", ", wanted.Select(ShortId.Of))} was said to this session's task", "messages");
    }

    private async Task<List<SessionMessage>> ReadAsync(Guid taskId, bool pendingOnly, CancellationToken ct)
    {
        var table = await storage.Table(TableNames.SessionMessages);
        var partition = ShortId.Format(taskId);
        var messages = new List<SessionMessage>();
        await foreach (var entity in table.QueryAsync<SessionMessageEntity>(e => e.PartitionKey == partition, cancellationToken: ct))
        {
            if (!pendingOnly || entity.DeliveredAt is null)
            {
                messages.Add(entity.ToMessage());
            }
        }

        return messages;
    }
}

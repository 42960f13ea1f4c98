using System.Diagnostics;
using System.Text.Json.Nodes;
using Konduktor.Core;
using Konduktor.Core.Json;
using Konduktor.Core.Sessions;
using Microsoft.Extensions.Logging;

namespace Konduktor.Runner.Worker;

/// <summary>
/// The agent's stdin, held open while it works (Claude Code's <c>--input-format stream-json</c>): its prompt as the
/// first user message, with whatever people said to the task before it started; then each message a person says, as
/// it arrives (a long poll of the session's inbox), written as a user message — Claude Code gives one said during a
/// tool call to the turn in flight, and one said while it writes its reply as the next turn. A message said with
/// <c>now</c> is followed by an interrupt, which ends the turn in flight; the agent answers the message next. When the
/// agent has answered everything (Claude Code says it is idle) and nothing more waits, stdin closes and the agent ends.
/// Every turn a person gave is logged (stream <c>person</c>) as it is written, and each message is recorded delivered.
/// </summary>
public sealed class AgentInbox(SessionJob job, RunnerApi api, LogShipper shipper, ILogger logger) : IAsyncDisposable
{
    /// <summary>How long one inbox request waits for a message or a stop before asking again.</summary>
    private const int LongPollSeconds = 20;
    private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(1);
    private readonly SemaphoreSlim _writing = new(1, 1);
    private readonly HashSet<Guid> _given = [];
    private readonly CancellationTokenSource _closed = new();
    private StreamWriter? _stdin;
    private Task _listening = Task.CompletedTask;
    private int _interrupts;

    private Guid WorkspaceId => job.Session.WorkspaceId;

    private Guid SessionId => job.Session.Id;

    /// <summary>Messages written to the agent since it started (a bench and the log read it).</summary>
    public int Given
    {
        get
        {
            lock (_given)
            {
                return _given.Count;
            }
        }
    }

    /// <summary>
    /// Writes the prompt (and what waits in the inbox) as the first turn, then listens for more until the agent is idle
    /// with nothing left to say, or it ends. <paramref name="stopAsked"/> is called when a person asks the session to stop.
    /// </summary>
    public async Task StartAsync(Process agent, Conversation conversation, Action stopAsked, CancellationToken ct)
    {
        _stdin = agent.StandardInput;
        _stdin.AutoFlush = false;
        var waiting = job.Session.TaskId is null ? null : await ReadInboxAsync(0, ct);
        if (waiting?.StopRequested == true)
        {
            stopAsked();
        }

        var first = FirstTurn(conversation);
        var (heard, messages) = AlreadyHeard(Fresh(waiting?.Messages ?? []), conversation.Transcript);
        if (heard.Count > 0)
        {
            // Written to the agent by a runner that stopped before it could record the delivery: the conversation has them.
            shipper.Add("konduktor", $"{heard.Count} message(s) were given to the agent before its last runner stopped (they are in the conversation), so they are not given again");
            await MarkDeliveredAsync(heard, ct);
        }

        await _writing.WaitAsync(ct);
        try
        {
            await WriteAsync(UserMessage(new JsonArray([Text(conversation.Prompt), .. messages.Select(m => Text(m.Text))])));
            shipper.Add("person", KonduktorJson.Serialize(first));
            LogGiven(messages);
        }
        catch (IOException)
        {
            // The agent ended before it read its prompt; its exit code and stderr say why.
            await CloseAsync();
        }
        finally
        {
            _writing.Release();
        }

        await MarkDeliveredAsync(messages, ct);
        if (job.Session.TaskId is not null)
        {
            _listening = Task.Run(() => ListenAsync(stopAsked, ct), CancellationToken.None);
        }
    }

    /// <summary>
    /// The agent has answered everything written to it: what waits in the inbox now is given, then stdin closes, and
    /// the agent ends once it has answered that. What people say after this reaches the task's next session.
    /// </summary>
    public void AgentIdle() => _ = Task.Run(async () =>
    {
        if (_closed.IsCancellationRequested)
        {
            return;
        }

        var waiting = job.Session.TaskId is null ? null : await ReadInboxAsync(0, CancellationToken.None);
        IReadOnlyList<SessionMessage> given = [];
        await _writing.WaitAsync(CancellationToken.None);
        try
        {
            if (waiting is not null)
            {
                given = await GiveLockedAsync(waiting.Messages);
            }

            await CloseAsync();
        }
        finally
        {
            _writing.Release();
        }

        await MarkDeliveredAsync(given, CancellationToken.None);
    }, CancellationToken.None);

    /// <summary>The agent ended: nothing more is written; messages not given stay for the task's next session.</summary>
    public async ValueTask DisposeAsync()
    {
        await _closed.CancelAsync();
        await _listening;
        if (job.Session.TaskId is not null && await ReadInboxAsync(0, CancellationToken.None) is { Messages: { Count: > 0 } left } && Fresh(left) is { Count: > 0 } unheard)
        {
            shipper.Add("konduktor", $"{unheard.Count} message(s) arrived after the agent finished its last turn; they go to the task's next session (resume the task to give them now)");
        }

        _closed.Dispose();
        _writing.Dispose();
    }

    private async Task ListenAsync(Action stopAsked, CancellationToken ct)
    {
        using var listening = CancellationTokenSource.CreateLinkedTokenSource(ct, _closed.Token);
        while (!listening.IsCancellationRequested)
        {
            SessionInbox inbox;
            try
            {
                inbox = await api.InboxAsync(WorkspaceId, SessionId, LongPollSeconds, listening.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (RunnerApiException e)
            {
                logger.LogDebug("Session {SessionId}: inbox not read ({Reason}); trying again", SessionId, e.Message);
                await DelayAsync(listening.Token);
                continue;
            }

            if (inbox.StopRequested)
            {
                stopAsked();
                return;
            }

            await _writing.WaitAsync(CancellationToken.None);
            IReadOnlyList<SessionMessage> given;
            try
            {
                given = await GiveLockedAsync(inbox.Messages);
            }
            finally
            {
                _writing.Release();
            }

            await MarkDeliveredAsync(given, CancellationToken.None);
        }
    }

    /// <summary>Writes the messages not given yet (under the writing lock), and an interrupt after them when one says now.</summary>
    private async Task<IReadOnlyList<SessionMessage>> GiveLockedAsync(IReadOnlyList<SessionMessage> messages)
    {
        var fresh = Fresh(messages);
        if (fresh.Count == 0 || _closed.IsCancellationRequested)
        {
            return [];
        }

        try
        {
            foreach (var message in fresh)
            {
                await WriteAsync(UserMessage(new JsonArray(Text(message.Text))));
            }

            if (fresh.Any(m => m.Now))
            {
                // Claude Code's interrupt: the turn in flight ends ("[Request interrupted by user]"), the messages queued before it run next.
                await WriteAsync(new JsonObject
                {
                    ["type"] = "control_request",
                    ["request_id"] = $"konduktor-interrupt-{Interlocked.Increment(ref _interrupts)}",
                    ["request"] = new JsonObject { ["subtype"] = "interrupt" },
                });
            }
        }
        catch (IOException)
        {
            // The agent has ended: the messages stay undelivered, for the task's next session.
            await CloseAsync();
            return [];
        }

        LogGiven(fresh);
        return fresh;
    }

    /// <summary>
    /// The messages the continued conversation already holds (its transcript has them as the person's words) apart from
    /// those it does not: a message is never given to the same conversation twice.
    /// </summary>
    private static (List<SessionMessage> Heard, List<SessionMessage> New) AlreadyHeard(List<SessionMessage> messages, string? transcript)
    {
        if (messages.Count == 0 || transcript is null || !File.Exists(transcript))
        {
            return ([], messages);
        }

        var kept = File.ReadAllText(transcript);
        var heard = messages.Where(m => kept.Contains(JsonText(m.Text), StringComparison.Ordinal)).ToList();
        return (heard, [.. messages.Except(heard)]);
    }

    /// <summary>The text as it appears inside a JSON string written by Claude Code (JSON.stringify escapes only quotes, backslashes and controls).</summary>
    private static string JsonText(string text) => System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping.Encode(text);

    /// <summary>The messages this runner has not written to the agent yet, noted as given.</summary>
    private List<SessionMessage> Fresh(IReadOnlyList<SessionMessage> messages)
    {
        lock (_given)
        {
            return [.. messages.Where(m => _given.Add(m.Id))];
        }
    }

    private void LogGiven(IReadOnlyList<SessionMessage> messages)
    {
        foreach (var message in messages)
        {
            shipper.Add("person", KonduktorJson.Serialize(new PersonTurn(message.Text, message.Via, message.From, message.SentAt, message.Now)));
        }
    }

    /// <summary>The first turn as the person gave it: a resume's message, or the prompt the session was started with.</summary>
    private PersonTurn FirstTurn(Conversation conversation) =>
        job.Session is { Kind: SessionKind.Resume, Message: { Length: > 0 } message }
            ? new PersonTurn(message, MessageVia.Resume, job.Session.StartedBy, job.Session.CreatedAt)
            : new PersonTurn(conversation.Prompt, MessageVia.Prompt, job.Session.StartedBy ?? "Konduktor", job.Session.CreatedAt);

    private async Task MarkDeliveredAsync(IReadOnlyList<SessionMessage> messages, CancellationToken ct)
    {
        if (messages.Count == 0)
        {
            return;
        }

        try
        {
            await Retry.UntilAcceptedAsync(token => api.DeliveredAsync(WorkspaceId, SessionId, [.. messages.Select(m => m.Id)], token), logger, "record the messages given to the agent", ct);
        }
        catch (Exception e) when (e is RunnerApiException or OperationCanceledException)
        {
            logger.LogWarning("Session {SessionId}: {Count} message(s) given to the agent could not be recorded as delivered: {Reason}", SessionId, messages.Count, e.Message);
        }
    }

    private async Task<SessionInbox?> ReadInboxAsync(int waitSeconds, CancellationToken ct)
    {
        try
        {
            return await api.InboxAsync(WorkspaceId, SessionId, waitSeconds, ct);
        }
        catch (Exception e) when (e is RunnerApiException or OperationCanceledException)
        {
            logger.LogWarning("Session {SessionId}: its inbox could not be read ({Reason}); messages waiting there reach the agent when it can be", SessionId, e.Message);
            return null;
        }
    }

    private async Task WriteAsync(JsonObject line)
    {
        await _stdin!.WriteLineAsync(line.ToJsonString());
        await _stdin.FlushAsync();
    }

    private async Task CloseAsync()
    {
        if (_closed.IsCancellationRequested)
        {
            return;
        }

        await _closed.CancelAsync();
        try
        {
            _stdin?.Close();
        }
        catch (IOException)
        {
            // Already gone with the agent.
        }
    }

    private static JsonObject UserMessage(JsonArray content) => new()
    {
        ["type"] = "user",
        ["message"] = new JsonObject { ["role"] = "user", ["content"] = content },
    };

    private static JsonObject Text(string text) => new() { ["type"] = "text", ["text"] = text };

    private static async Task DelayAsync(CancellationToken ct)
    {
        try
        {
            await Task.Delay(RetryDelay, ct);
        }
        catch (OperationCanceledException)
        {
            // Closed while waiting.
        }
    }
}

using System.Text.Json;
using System.Text.Json.Serialization;
using Konduktor.Core.Json;

namespace Konduktor.Core.Sessions;

[JsonConverter(typeof(JsonEnumName<LogEntryKind>))]
public enum LogEntryKind
{
    /// <summary>What Konduktor itself said about the session (its runner, its worktree, how it ended).</summary>
    Note,

    /// <summary>The agent's conversation started or continued: its id and model.</summary>
    Init,

    /// <summary>Words of a turn: the agent's (role assistant) or what it was told (role user).</summary>
    Text,

    Thinking,

    /// <summary>A tool call: its name, its input as JSON, the gist of it, and its id.</summary>
    ToolUse,

    /// <summary>A tool's result, for the call with the same tool id.</summary>
    ToolResult,

    Stderr,

    /// <summary>A line of the worktree's setup script.</summary>
    Setup,

    /// <summary>A system event worth a line: a refused tool call, an API retry, a git change, information; or one not known.</summary>
    Notice,

    /// <summary>The account's usage limit: its status, window and reset.</summary>
    RateLimit,

    /// <summary>How the run ended.</summary>
    Result,

    /// <summary>A line of output that is not Claude Code's JSON.</summary>
    Raw,

    /// <summary>What a person said to the agent: the prompt, a resume's message, a message while it ran, an answer.</summary>
    Person,
}

/// <summary>
/// One thing a person reads in a session's log, as Konduktor understood the event it came from: Claude Code's
/// stream-json is read here, once, for the board and the CLI alike (a turn with several parts is several entries of
/// one sequence number).
/// </summary>
public sealed record LogEntry(long Seq, DateTimeOffset Time, LogEntryKind Kind)
{
    /// <summary>The words, the line, the tool's input JSON (tool use) or its output (tool result).</summary>
    public string? Text { get; init; }

    /// <summary>Text: <c>assistant</c> or <c>user</c>.</summary>
    public string? Role { get; init; }

    /// <summary>Tool use: the tool's name.</summary>
    public string? Tool { get; init; }

    /// <summary>Tool use: its most telling field (a command, a path, a pattern) rather than the whole input.</summary>
    public string? Gist { get; init; }

    /// <summary>Tool use and result: the call's id, which pairs them.</summary>
    public string? ToolId { get; init; }

    /// <summary>Tool result: the tool failed.</summary>
    public bool? IsError { get; init; }

    /// <summary>Notice: what kind.</summary>
    public NoticeKind? Notice { get; init; }

    /// <summary>Init: the conversation's id and the model.</summary>
    public string? Conversation { get; init; }

    public string? Model { get; init; }

    /// <summary>Rate limit: allowed, allowed_warning or rejected; the window; when it resets.</summary>
    public string? Status { get; init; }

    public string? Window { get; init; }

    public DateTimeOffset? ResetsAt { get; init; }

    /// <summary>Person: who said it, when, how it reached the agent, and whether it interrupted the turn in flight.</summary>
    public string? From { get; init; }

    public DateTimeOffset? SentAt { get; init; }

    public MessageVia? Via { get; init; }

    public bool? Now { get; init; }

    /// <summary>Result: the outcome as the session keeps it.</summary>
    public SessionOutcome? Outcome { get; init; }
}

/// <param name="Next">Pass as <c>after</c> to read on.</param>
/// <param name="Complete">The session has ended and every event of it has been read.</param>
public sealed record LogEntryPage(IReadOnlyList<LogEntry> Entries, long Next, SessionStatus Status, bool Complete);

/// <summary>A session's log events as entries a person reads.</summary>
public static class LogEntries
{
    public static LogEntryPage Of(LogPage page) => new([.. page.Events.SelectMany(Of)], page.Next, page.Status, page.Complete);

    /// <summary>
    /// What the agent is doing, in one line, as the last of these events shows it: the tool it called and the gist of
    /// the call, or the first line of its last words; null when they show nothing new (results, notes, system events).
    /// </summary>
    public static string? Activity(IEnumerable<LogEvent> events)
    {
        const int max = 140;
        var line = events.Where(e => e.Stream == "stdout").SelectMany(Of).Select(entry => entry switch
        {
            { Kind: LogEntryKind.ToolUse } => $"{entry.Tool}: {entry.Gist}",
            { Kind: LogEntryKind.Text, Role: "assistant", Text: { } text } when !string.IsNullOrWhiteSpace(text) => text.Trim(),
            _ => null,
        }).LastOrDefault(l => l is not null);
        if (line is null)
        {
            return null;
        }

        line = line.ReplaceLineEndings(" ").Trim();
        return line.Length > max ? line[..(max - 1)] + "…" : line;
    }

    public static IEnumerable<LogEntry> Of(LogEvent logEvent)
    {
        var (seq, time) = (logEvent.Seq, logEvent.Time);
        switch (logEvent.Stream)
        {
            case "konduktor":
                yield return new LogEntry(seq, time, LogEntryKind.Note) { Text = logEvent.Text };
                yield break;
            case "stderr":
                yield return new LogEntry(seq, time, LogEntryKind.Stderr) { Text = logEvent.Text };
                yield break;
            case "setup":
                yield return new LogEntry(seq, time, LogEntryKind.Setup) { Text = logEvent.Text };
                yield break;
            case "person":
                yield return Person(seq, time, logEvent.Text);
                yield break;
        }

        switch (ClaudeEvent.Parse(logEvent.Text))
        {
            case ClaudeEvent.Init init:
                yield return new LogEntry(seq, time, LogEntryKind.Init) { Conversation = init.SessionId, Model = init.Model };
                break;
            case ClaudeEvent.Message message:
                foreach (var part in message.Parts)
                {
                    if (Part(seq, time, message.Role, part) is { } entry)
                    {
                        yield return entry;
                    }
                }

                break;
            case ClaudeEvent.Result result:
                yield return new LogEntry(seq, time, LogEntryKind.Result) { Outcome = result.Outcome };
                break;
            case ClaudeEvent.RateLimit limit:
                yield return new LogEntry(seq, time, LogEntryKind.RateLimit) { Status = limit.Status, Window = limit.Window, ResetsAt = limit.ResetsAt };
                break;
            case ClaudeEvent.Notice notice:
                yield return new LogEntry(seq, time, LogEntryKind.Notice) { Notice = notice.Kind, Text = notice.Text };
                break;
            case ClaudeEvent.SessionState or ClaudeEvent.ControlResponse or ClaudeEvent.Other:
                // How the runner and Claude Code keep time with each other, and events Konduktor does not know
                // (system/task_started…): nothing a person reads; the raw log has them.
                break;
            case ClaudeEvent.PlainText plain:
                yield return new LogEntry(seq, time, LogEntryKind.Raw) { Text = plain.Text };
                break;
        }
    }

    private static LogEntry Person(long seq, DateTimeOffset time, string json)
    {
        PersonTurn? turn = null;
        try
        {
            turn = KonduktorJson.Deserialize<PersonTurn>(json);
        }
        catch (JsonException)
        {
            // Not the runner's shape: shown as it is.
        }

        return turn is null
            ? new LogEntry(seq, time, LogEntryKind.Person) { Text = json, Role = "user" }
            : new LogEntry(seq, time, LogEntryKind.Person) { Text = turn.Text, Role = "user", From = turn.From, SentAt = turn.SentAt, Via = turn.Via, Now = turn.Now ? true : null };
    }

    private static LogEntry? Part(long seq, DateTimeOffset time, string role, MessagePart part) => part.Kind switch
    {
        "text" => new LogEntry(seq, time, LogEntryKind.Text) { Text = part.Text, Role = role },
        "thinking" => new LogEntry(seq, time, LogEntryKind.Thinking) { Text = part.Text },
        "tool_use" => new LogEntry(seq, time, LogEntryKind.ToolUse) { Text = part.Text, Tool = part.Name ?? "tool", Gist = Gist(part.Text), ToolId = part.Id ?? seq.ToString(System.Globalization.CultureInfo.InvariantCulture) },
        "tool_result" => new LogEntry(seq, time, LogEntryKind.ToolResult) { Text = part.Text, ToolId = part.Id, IsError = part.Name == "error" },
        _ => null,
    };

    private static string Gist(string json)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            return ClaudeEvent.ToolInputGist(document.RootElement);
        }
        catch (JsonException)
        {
            return json;
        }
    }
}

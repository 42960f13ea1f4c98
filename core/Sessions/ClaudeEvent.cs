using System.Text.Json.Serialization;
using System.Text.Json;
using Konduktor.Core.Json;

namespace Konduktor.Core.Sessions;

/// <summary>
/// One line of Claude Code's <c>--output-format stream-json</c>, understood: the runner takes the Claude session id
/// from <c>system/init</c> and the outcome from <c>result</c>; the CLI renders the rest as a transcript.
/// </summary>
public abstract record ClaudeEvent
{
    /// <summary>Reads one stdout line; a line that is not a JSON object is <see cref="PlainText"/>.</summary>
    public static ClaudeEvent Parse(string line)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(line);
        }
        catch (JsonException)
        {
            return new PlainText(line);
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return new PlainText(line);
            }

            var type = Str(root, "type") ?? "";
            var subtype = Str(root, "subtype");
            return (type, subtype) switch
            {
                ("system", "init") => new Init(Str(root, "session_id") ?? "", Str(root, "model"), Str(root, "cwd")),
                ("system", "permission_denied") => new Notice(NoticeKind.PermissionDenied, $"{Str(root, "tool_name") ?? "a tool"}{(Str(root, "message") is { } why ? ": " + why : "")}"),
                ("system", "api_retry") => new Notice(NoticeKind.ApiRetry,
                    $"attempt {Number(root, "attempt")}/{Number(root, "max_retries")} in {(Number(root, "retry_delay_ms") ?? 0) / 1000:0.#} s after {(Number(root, "error_status") is { } status ? status + " " : "")}{Str(root, "error") ?? "an error"}"),
                ("system", "vcs_state_changed") => new Notice(NoticeKind.Git, $"{Str(root, "kind") ?? "change"}{(Str(root, "branch") is { } branch ? " " + branch : "")}"),
                ("system", "informational") => new Notice(NoticeKind.Information, Str(root, "content") ?? ""),
                ("system", "session_state_changed") => new SessionState(Str(root, "state") ?? ""),
                ("control_response", _) => new ControlResponse(root.TryGetProperty("response", out var response) ? Str(response, "request_id") : null),
                ("assistant" or "user", _) => new Message(type, ReadParts(root)),
                ("result", _) => new Result(ReadOutcome(root)),
                ("rate_limit_event", _) => ReadRateLimit(root),
                _ => new Other(type, subtype),
            };
        }
    }

    private static RateLimit ReadRateLimit(JsonElement root)
    {
        var info = root.TryGetProperty("rate_limit_info", out var i) && i.ValueKind == JsonValueKind.Object ? i : default;
        return new RateLimit(Str(info, "status") ?? "unknown", Str(info, "rateLimitType"),
            Number(info, "resetsAt") is { } epoch && epoch is > 0 and < 253402300800 ? DateTimeOffset.FromUnixTimeSeconds((long)epoch) : null);
    }

    private static List<MessagePart> ReadParts(JsonElement root)
    {
        var parts = new List<MessagePart>();
        if (!root.TryGetProperty("message", out var message) || message.ValueKind != JsonValueKind.Object
            || !message.TryGetProperty("content", out var content))
        {
            return parts;
        }

        if (content.ValueKind == JsonValueKind.String)
        {
            parts.Add(new MessagePart("text", content.GetString() ?? "", null));
            return parts;
        }

        if (content.ValueKind != JsonValueKind.Array)
        {
            return parts;
        }

        foreach (var item in content.EnumerateArray())
        {
            var kind = Str(item, "type") ?? "unknown";
            parts.Add(kind switch
            {
                "text" => new MessagePart(kind, Str(item, "text") ?? "", null),
                "thinking" => new MessagePart(kind, Str(item, "thinking") ?? "", null),
                "tool_use" => new MessagePart(kind, item.TryGetProperty("input", out var input) ? input.GetRawText() : "{}", Str(item, "name"), Str(item, "id")),
                "tool_result" => new MessagePart(kind, ToolResultText(item), item.TryGetProperty("is_error", out var e) && e.ValueKind == JsonValueKind.True ? "error" : null, Str(item, "tool_use_id")),
                _ => new MessagePart(kind, "", null),
            });
        }

        return parts;
    }

    private static string ToolResultText(JsonElement item)
    {
        if (!item.TryGetProperty("content", out var content))
        {
            return "";
        }

        return content.ValueKind switch
        {
            JsonValueKind.String => content.GetString() ?? "",
            JsonValueKind.Array => string.Join("\n", content.EnumerateArray().Select(c => Str(c, "text") ?? "")),
            _ => content.GetRawText(),
        };
    }

    private static SessionOutcome ReadOutcome(JsonElement root)
    {
        var usage = root.TryGetProperty("usage", out var u) && u.ValueKind == JsonValueKind.Object ? u : default;
        var result = Str(root, "result");
        return new SessionOutcome
        {
            Subtype = Str(root, "subtype") ?? "unknown",
            IsError = root.TryGetProperty("is_error", out var isError) && isError.ValueKind == JsonValueKind.True,
            NumTurns = Number(root, "num_turns") is { } turns ? (int)turns : null,
            DurationMs = Number(root, "duration_ms") is { } ms ? (long)ms : null,
            CostUsd = RunCost(root),
            ConversationCostUsd = Number(root, "total_cost_usd"),
            InputTokens = (long)(Number(usage, "input_tokens") ?? 0),
            OutputTokens = (long)(Number(usage, "output_tokens") ?? 0),
            CacheReadTokens = (long)(Number(usage, "cache_read_input_tokens") ?? 0),
            CacheCreationTokens = (long)(Number(usage, "cache_creation_input_tokens") ?? 0),
            Result = Shorten(result, MaxText),
            Errors = root.TryGetProperty("errors", out var errors) && errors.ValueKind == JsonValueKind.Array
                ? errors.EnumerateArray().Select(e => Shorten(e.ValueKind == JsonValueKind.String ? e.GetString() : e.GetRawText(), MaxText)!).Take(10).ToList()
                : null,
            ApiErrorStatus = Number(root, "api_error_status") is { } status ? (int)status : null,
            PermissionDenials = root.TryGetProperty("permission_denials", out var denials) && denials.ValueKind == JsonValueKind.Array && denials.GetArrayLength() > 0
                ? denials.EnumerateArray().Select(d => new PermissionDenial(Str(d, "tool_name") ?? "tool",
                    d.TryGetProperty("tool_input", out var input) ? Shorten(ToolInputGist(input), 300) : null)).Take(50).ToList()
                : null,
        };
    }

    private const int MaxText = 2000;

    /// <summary>
    /// This run's cost: the per-model costs Claude Code reports since the last result (<c>model_usage_since_last_result</c>);
    /// null when it does not say, for the caller to derive from the conversation's total.
    /// </summary>
    private static decimal? RunCost(JsonElement root)
    {
        if (!root.TryGetProperty("model_usage_since_last_result", out var models) || models.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        return models.EnumerateObject().Sum(model => Number(model.Value, "costUSD") ?? 0);
    }

    /// <summary>The most telling field of a tool call (command, file path, pattern, URL) rather than its whole JSON.</summary>
    public static string ToolInputGist(JsonElement input)
    {
        foreach (var name in new[] { "command", "file_path", "path", "pattern", "url", "description" })
        {
            if (Str(input, name) is { } value)
            {
                return value;
            }
        }

        return input.GetRawText();
    }

    private static string? Shorten(string? text, int max) => text is { Length: > 0 } && text.Length > max ? text[..max] + "…" : text;

    private static string? Str(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static decimal? Number(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number ? value.GetDecimal() : null;

    /// <summary><c>system/init</c>: the conversation's id, which <c>--resume</c> continues.</summary>
    public sealed record Init(string SessionId, string? Model, string? Cwd) : ClaudeEvent;

    /// <summary>An <c>assistant</c> or <c>user</c> turn: text, thinking, tool calls and their results.</summary>
    public sealed record Message(string Role, IReadOnlyList<MessagePart> Parts) : ClaudeEvent;

    public sealed record Result(SessionOutcome Outcome) : ClaudeEvent;

    /// <summary>A <c>rate_limit_event</c>: allowed, allowed_warning or rejected, for which window, and when it resets.</summary>
    public sealed record RateLimit(string Status, string? Window, DateTimeOffset? ResetsAt) : ClaudeEvent;

    /// <summary>A <c>system</c> event worth a line of its own: a refused tool call, an API retry, a git change, a notice.</summary>
    public sealed record Notice(NoticeKind Kind, string Text) : ClaudeEvent;

    public sealed record Other(string Type, string? Subtype) : ClaudeEvent;

    /// <summary>
    /// <c>system/session_state_changed</c> (with <c>CLAUDE_CODE_EMIT_SESSION_STATE_EVENTS=1</c>): <c>running</c> when a
    /// turn starts, <c>idle</c> once every turn queued on stdin is done.
    /// </summary>
    public sealed record SessionState(string State) : ClaudeEvent;

    /// <summary>Claude Code's answer to a control request written to its stdin (an interrupt).</summary>
    public sealed record ControlResponse(string? RequestId) : ClaudeEvent;

    public sealed record PlainText(string Text) : ClaudeEvent;
}

[JsonConverter(typeof(JsonEnumName<NoticeKind>))]
public enum NoticeKind
{
    PermissionDenied,
    ApiRetry,
    Git,
    Information,
}

/// <param name="Kind">text, thinking, tool_use or tool_result.</param>
/// <param name="Text">The text; for tool_use the input JSON.</param>
/// <param name="Name">The tool's name for tool_use; "error" for a failed tool_result.</param>
/// <param name="Id">The tool call's id: tool_use's own, tool_result's the call it answers.</param>
public sealed record MessagePart(string Kind, string Text, string? Name, string? Id = null);

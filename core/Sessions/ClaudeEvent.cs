using System.Text.Json;

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
            return type switch
            {
                "system" when Str(root, "subtype") == "init" => new Init(Str(root, "session_id") ?? "", Str(root, "model"), Str(root, "cwd")),
                "assistant" or "user" => new Message(type, ReadParts(root)),
                "result" => new Result(ReadOutcome(root)),
                "rate_limit_event" => new RateLimit(root.GetRawText()),
                _ => new Other(type, Str(root, "subtype")),
            };
        }
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
                "tool_use" => new MessagePart(kind, item.TryGetProperty("input", out var input) ? input.GetRawText() : "{}", Str(item, "name")),
                "tool_result" => new MessagePart(kind, ToolResultText(item), item.TryGetProperty("is_error", out var e) && e.ValueKind == JsonValueKind.True ? "error" : null),
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
            CostUsd = Number(root, "total_cost_usd"),
            InputTokens = (long)(Number(usage, "input_tokens") ?? 0),
            OutputTokens = (long)(Number(usage, "output_tokens") ?? 0),
            CacheReadTokens = (long)(Number(usage, "cache_read_input_tokens") ?? 0),
            CacheCreationTokens = (long)(Number(usage, "cache_creation_input_tokens") ?? 0),
            Result = result is { Length: > 2000 } ? result[..2000] + "…" : result,
        };
    }

    private static string? Str(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static decimal? Number(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number ? value.GetDecimal() : null;

    /// <summary><c>system/init</c>: the conversation's id, which <c>--resume</c> continues.</summary>
    public sealed record Init(string SessionId, string? Model, string? Cwd) : ClaudeEvent;

    /// <summary>An <c>assistant</c> or <c>user</c> turn: text, thinking, tool calls and their results.</summary>
    public sealed record Message(string Role, IReadOnlyList<MessagePart> Parts) : ClaudeEvent;

    public sealed record Result(SessionOutcome Outcome) : ClaudeEvent;

    public sealed record RateLimit(string Json) : ClaudeEvent;

    public sealed record Other(string Type, string? Subtype) : ClaudeEvent;

    public sealed record PlainText(string Text) : ClaudeEvent;
}

/// <param name="Kind">text, thinking, tool_use or tool_result.</param>
/// <param name="Text">The text; for tool_use the input JSON.</param>
/// <param name="Name">The tool's name for tool_use; "error" for a failed tool_result.</param>
public sealed record MessagePart(string Kind, string Text, string? Name);

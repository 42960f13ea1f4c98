using System.Globalization;
using System.Text.Json;
using Konduktor.Core.Sessions;

namespace Konduktor.Cli;

/// <summary>Turns log events into a readable transcript: what the agent said, the tools it used, how it ended.</summary>
public static class Transcript
{
    public static string? Render(LogEvent logEvent) => logEvent.Stream switch
    {
        "konduktor" => $"» {logEvent.Text}",
        "stderr" => $"stderr: {logEvent.Text}",
        "setup" => $"  setup│ {logEvent.Text}",
        _ => Render(ClaudeEvent.Parse(logEvent.Text)),
    };

    private static string? Render(ClaudeEvent claudeEvent) => claudeEvent switch
    {
        ClaudeEvent.Init init => $"● Claude session {init.SessionId}{(init.Model is null ? "" : $" ({init.Model})")}",
        ClaudeEvent.Message message => string.Join('\n', message.Parts.Select(Part).Where(p => p is not null)) is { Length: > 0 } text ? text : null,
        ClaudeEvent.Result result => Outcome(result.Outcome),
        ClaudeEvent.RateLimit limit => $"… usage limit {limit.Status.Replace('_', ' ')}{(limit.Window is { } window ? $" ({window.Replace('_', ' ')})" : "")}{(limit.ResetsAt is { } at ? $", resets {Output.Time(at)}" : "")}",
        ClaudeEvent.Notice { Kind: NoticeKind.PermissionDenied } notice => $"⚠ permission denied: {notice.Text}",
        ClaudeEvent.Notice { Kind: NoticeKind.ApiRetry } notice => $"… API retry, {notice.Text}",
        ClaudeEvent.Notice { Kind: NoticeKind.Git } notice => $"● git {notice.Text}",
        ClaudeEvent.Notice notice => $"ℹ {notice.Text}",
        ClaudeEvent.PlainText plain => plain.Text,
        ClaudeEvent.Other other => $"· {other.Type}{(other.Subtype is { } subtype ? "/" + subtype : "")}",
        _ => null,
    };

    private static string? Part(MessagePart part) => part.Kind switch
    {
        "text" => part.Text,
        "thinking" => $"  (thinking) {Shorten(part.Text, 200)}",
        "tool_use" => $"→ {part.Name}: {Shorten(ToolInput(part.Text), 160)}",
        "tool_result" => part.Name == "error" ? $"  ← error: {Shorten(part.Text, 200)}" : $"  ← {LineCount(part.Text)}",
        _ => null,
    };

    private static string Outcome(SessionOutcome o)
    {
        var mark = o.Succeeded ? "✓" : "✗";
        var parts = new List<string> { o.Subtype + (o.IsError ? " (error)" : "") };
        if (o.NumTurns is { } turns)
        {
            parts.Add($"{turns} turns");
        }

        if (o.DurationMs is { } ms)
        {
            parts.Add((ms / 1000.0).ToString("0.0", CultureInfo.InvariantCulture) + " s");
        }

        if (o.CostUsd is { } cost)
        {
            parts.Add("$" + cost.ToString("0.0000", CultureInfo.InvariantCulture));
        }

        parts.Add($"{o.InputTokens.ToString("N0", CultureInfo.InvariantCulture)} in / {o.OutputTokens.ToString("N0", CultureInfo.InvariantCulture)} out tokens");
        if (o.PermissionDenials is { Count: > 0 } denials)
        {
            parts.Add($"{denials.Count} tool call{(denials.Count == 1 ? "" : "s")} refused");
        }

        var said = o.Succeeded ? o.Result : o.Reason;
        return $"{(o.Succeeded && o.PermissionDenials is { Count: > 0 } ? "⚠" : mark)} {string.Join(" · ", parts)}{(string.IsNullOrWhiteSpace(said) ? "" : "\n" + said)}";
    }

    private static string ToolInput(string json)
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

    private static string LineCount(string text)
    {
        var lines = text.Length == 0 ? 0 : text.Count(c => c == '\n') + 1;
        return lines == 1 ? Shorten(text, 120) : $"{lines} lines";
    }

    private static string Shorten(string text, int max)
    {
        var single = text.ReplaceLineEndings(" ");
        return single.Length <= max ? single : single[..(max - 1)] + "…";
    }
}

using System.Globalization;
using Konduktor.Core.Sessions;

namespace Konduktor.Cli;

/// <summary>Turns the log's entries (read by the server) into a readable transcript: what the agent said, the tools it used, how it ended.</summary>
public static class Transcript
{
    /// <summary>An entry the server read from the log, as a line (or lines) of the transcript; null for one a person need not see.</summary>
    public static string? Render(LogEntry entry) => entry.Kind switch
    {
        LogEntryKind.Note => $"» {entry.Text}",
        LogEntryKind.Stderr => $"stderr: {entry.Text}",
        LogEntryKind.Setup => $"  setup│ {entry.Text}",
        LogEntryKind.Init => $"● Claude session {entry.Conversation}{(entry.Model is null ? "" : $" ({entry.Model})")}",
        LogEntryKind.Text => entry.Text,
        LogEntryKind.Thinking => $"  (thinking) {Shorten(entry.Text ?? "", 200)}",
        LogEntryKind.ToolUse => $"→ {entry.Tool}: {Shorten(entry.Gist ?? "", 160)}",
        LogEntryKind.ToolResult => entry.IsError == true ? $"  ← error: {Shorten(entry.Text ?? "", 200)}" : $"  ← {LineCount(entry.Text ?? "")}",
        LogEntryKind.Result when entry.Outcome is { } outcome => Outcome(outcome),
        LogEntryKind.RateLimit => $"… usage limit {entry.Status?.Replace('_', ' ')}{(entry.Window is { } window ? $" ({window.Replace('_', ' ')})" : "")}{(entry.ResetsAt is { } at ? $", resets {Output.Time(at)}" : "")}",
        LogEntryKind.Notice => entry.Notice switch
        {
            NoticeKind.PermissionDenied => $"⚠ permission denied: {entry.Text}",
            NoticeKind.ApiRetry => $"… API retry, {entry.Text}",
            NoticeKind.Git => $"● git {entry.Text}",
            NoticeKind.Information => $"ℹ {entry.Text}",
            _ => $"· {entry.Text}",
        },
        LogEntryKind.Raw => entry.Text,
        LogEntryKind.Person => Person(entry),
        _ => null,
    };

    /// <summary>What a person said, with who and when; the prompt a session started with in one line (the raw log has it whole).</summary>
    private static string Person(LogEntry entry)
    {
        var who = entry.From ?? "a person";
        var when = entry.SentAt is { } at ? $" ({Output.Clock(at)})" : "";
        var text = (entry.Text ?? "").Trim();
        if (entry.Via == MessageVia.Prompt)
        {
            var lines = text.Split('\n');
            return $"▶ {who} started it{when}: {Shorten(lines[0], 120)}{(lines.Length > 1 ? $" (+{lines.Length - 1} lines; --raw shows them)" : "")}";
        }

        var said = entry.Via switch
        {
            MessageVia.Resume => "resumed it",
            MessageVia.Answer => "answered",
            _ => entry.Now == true ? "said, interrupting" : "said",
        };
        return $"▶ {who} {said}{when}:\n" + string.Join('\n', text.Split('\n').Select(line => "  " + line));
    }

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

        // A success's result is the agent's last words, already printed as its text: only a failure's reason is new.
        var said = o.Succeeded ? null : o.Reason;
        return $"{(o.Succeeded && o.PermissionDenials is { Count: > 0 } ? "⚠" : mark)} {string.Join(" · ", parts)}{(string.IsNullOrWhiteSpace(said) ? "" : "\n" + said)}";
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

using Konduktor.Core.Sessions;

namespace Konduktor.Runner.Worker;

/// <summary>What a person reads when a session did not simply succeed: why it failed, which tool calls were refused.</summary>
public static class SessionVerdicts
{
    public const int MaxErrorLength = 4000;

    /// <summary>Why the session failed, from whatever exists: Claude Code's errors, its result text, the stderr tail.</summary>
    public static string FailureReason(SessionOutcome? outcome, int exitCode, string stderrTail)
    {
        var exit = exitCode != 0 ? $", exit code {exitCode}" : "";
        if (outcome is null)
        {
            return $"the agent exited with code {exitCode} without a result{(stderrTail.Length > 0 ? ":\n" + stderrTail : "")}";
        }

        var why = outcome.Reason ?? (stderrTail.Length > 0 ? stderrTail : "it gave no reason");
        var api = outcome.ApiErrorStatus is { } status ? $", API status {status}" : "";
        return $"the agent's result was {outcome.Subtype}{(outcome.IsError ? " (is_error)" : "")}{api}{exit}: {why}";
    }

    /// <summary>What a person needs to see when the agent was refused tool calls: which, and what to change.</summary>
    public static string DeniedReason(IReadOnlyList<PermissionDenial> denials, string permissionMode)
    {
        var shown = string.Join("; ", denials.Take(5).Select(d => d.Input is { Length: > 0 } input ? $"{d.Tool} ({input})" : d.Tool));
        return $"Claude Code refused {denials.Count} tool call{(denials.Count == 1 ? "" : "s")} under permission mode {permissionMode}: {shown}{(denials.Count > 5 ? "; …" : "")}. "
            + "The agent may not have done what it was asked: look at its log, allow what it needs (`konduktor config set --permission-mode bypassPermissions`), and resume the task.";
    }

    /// <summary>An error as a report may carry it.</summary>
    public static string Shorten(string text) => text.Length > MaxErrorLength ? text[..(MaxErrorLength - 1)] + "…" : text;
}

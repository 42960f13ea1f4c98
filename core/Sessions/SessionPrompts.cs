using System.Text;
using System.Text.RegularExpressions;

namespace Konduktor.Core.Sessions;

/// <summary>What the agent is told: the task, its ids and what this kind of session is for.</summary>
public static partial class SessionPrompts
{
    public static string For(SessionKind kind, Guid taskId, string title, string description, string branch, string? message, string pullRequests = Workspaces.WorkspaceRules.DefaultPullRequestMode)
    {
        var prompt = new StringBuilder();
        switch (kind)
        {
            case SessionKind.Resume:
                prompt.AppendLine($"Continue your work on task {ShortId.Of(taskId)}: {title}");
                if (!string.IsNullOrWhiteSpace(message))
                {
                    prompt.AppendLine().AppendLine("The person you work for says:").AppendLine(message.Trim());
                }

                break;
            case SessionKind.AutoFixCi or SessionKind.AutoFixConflicts or SessionKind.AutoFixReview:
                prompt.AppendLine($"Your pull request for task {ShortId.Of(taskId)} ({title}) needs fixing.").AppendLine().AppendLine(message?.Trim());
                break;
            default:
                prompt.AppendLine($"Your task ({ShortId.Of(taskId)}): {title}");
                if (!string.IsNullOrWhiteSpace(description))
                {
                    prompt.AppendLine().AppendLine(description.Trim());
                }

                if (!string.IsNullOrWhiteSpace(message))
                {
                    prompt.AppendLine().AppendLine(message.Trim());
                }

                break;
        }

        prompt.AppendLine()
            .AppendLine("---")
            .AppendLine($"Task id: {ShortId.Format(taskId)}. You are in a git worktree on branch {branch}, made for this task.")
            .AppendLine(pullRequests switch
            {
                "agent" => $"Commit your work on this branch and push it; when the task is done, open its pull request through Konduktor (you hold no GitHub credential): `konduktor prs open {ShortId.Of(taskId)} --title \"…\" --file -` with what changed and how you tested it on stdin.",
                "off" => "Commit your work on this branch and push it; do not open a pull request.",
                _ => "Commit your work on this branch and push it; Konduktor opens the pull request once your commits are pushed.",
            })
            .AppendLine("The `konduktor` CLI is on your PATH and signed in to this workspace (tasks, questions, docs).");
        return prompt.ToString();
    }

    /// <summary>
    /// A resume whose conversation is lost (no runner and no storage holds its transcript): a fresh conversation on the
    /// same branch, told the task, that earlier work is on the branch, what the last session said, and why it runs now.
    /// </summary>
    public static string ForLostConversation(SessionKind kind, Guid taskId, string title, string description, string branch, string? message, string? lastWords, string pullRequests = Workspaces.WorkspaceRules.DefaultPullRequestMode)
    {
        var why = kind == SessionKind.Resume
            ? (string.IsNullOrWhiteSpace(message) ? null : "The person you work for says:\n" + message.Trim())
            : message?.Trim();
        var earlier = new StringBuilder()
            .AppendLine("Earlier sessions already worked on this task on this branch, but their conversation cannot be continued")
            .AppendLine("(its transcript was not kept), so you start afresh: read the branch's commits (`git log`) and files for what was done.");
        if (!string.IsNullOrWhiteSpace(lastWords))
        {
            earlier.AppendLine().AppendLine("What the last session said when it ended:").AppendLine(lastWords.Trim());
        }

        if (why is not null)
        {
            earlier.AppendLine().AppendLine(why);
        }

        return For(SessionKind.Task, taskId, title, description, branch, earlier.ToString(), pullRequests);
    }

    /// <summary>A session that stopped at its account's usage limit goes on in the same conversation, told why it paused.</summary>
    public static string AfterUsageLimit(Guid taskId, string title, string? message)
    {
        var prompt = new StringBuilder()
            .AppendLine($"You were stopped by the account's usage limit while working on task {ShortId.Of(taskId)}: {title}.")
            .AppendLine("The limit has reset: continue where you left off.");
        if (!string.IsNullOrWhiteSpace(message))
        {
            prompt.AppendLine().AppendLine("The person you work for says:").AppendLine(message.Trim());
        }

        return prompt.ToString();
    }

    /// <summary>A scheduled agent's run: its own prompt, then where it is and how it works (through the CLI).</summary>
    public static string ForAgent(string agentName, string prompt, string defaultBranch) =>
        new StringBuilder()
            .AppendLine(prompt.Trim())
            .AppendLine()
            .AppendLine("---")
            .AppendLine($"You are the scheduled agent '{agentName}'. You are in a git worktree of {defaultBranch} as it is now, refreshed for every run;")
            .AppendLine("nothing you leave in it is kept. Act through the `konduktor` CLI on your PATH, signed in to this workspace:")
            .AppendLine("the board and tasks (create, update, move, run), questions (ask people; `--assumption` when you went on without an answer), docs, projects.")
            .ToString();

    /// <summary>The branch of a scheduled agent's worktree (reset to the default branch on every run).</summary>
    public static string AgentBranch(string agentName) => $"konduktor/agent-{agentName}";

    /// <summary><c>konduktor/&lt;short-id&gt;-&lt;slug&gt;</c>: only lower-case letters, digits and dashes, whatever the title.</summary>
    public static string BranchFor(Guid taskId, string title)
    {
        var slug = NotSlug().Replace(title.ToLowerInvariant(), "-").Trim('-');
        if (slug.Length > 40)
        {
            slug = slug[..40].TrimEnd('-');
        }

        return $"konduktor/{ShortId.Of(taskId)}-{(slug.Length == 0 ? "task" : slug)}";
    }

    /// <summary>The short id a task branch names (the inverse of <see cref="BranchFor"/>), or null for any other branch.</summary>
    public static string? TaskShortIdOf(string branch) => TaskBranch().Match(branch) is { Success: true } match ? match.Groups[1].Value : null;

    [GeneratedRegex("^konduktor/([0-9a-f]{8})-")]
    private static partial Regex TaskBranch();

    [GeneratedRegex("[^a-z0-9]+")]
    private static partial Regex NotSlug();
}

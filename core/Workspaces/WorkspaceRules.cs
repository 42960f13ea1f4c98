using System.Text.RegularExpressions;
using Konduktor.Core.Results;

namespace Konduktor.Core.Workspaces;

public static partial class WorkspaceRules
{
    public const int MaxSystemPromptLength = 100_000;
    public const int MaxBranchLength = 200;

    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")]
    public static partial Regex NamePattern();

    public static Result<string> Name(string name) =>
        NamePattern().IsMatch(name) && !name.EndsWith(".git", StringComparison.OrdinalIgnoreCase)
            ? name
            : new Invalid($"'{ShortId.Shorten(name)}' is not a workspace name: use 1-100 letters, digits, '.', '_' or '-', starting with a letter or digit", "name");

    /// <summary>A branch name git accepts and that cannot be mistaken for an option.</summary>
    public static Result<string> Branch(string? branch)
    {
        var value = (branch ?? "").Trim();
        var valid = value.Length is > 0 and <= MaxBranchLength
            && BranchPattern().IsMatch(value)
            && !value.Contains("..", StringComparison.Ordinal)
            && !value.Contains("//", StringComparison.Ordinal)
            && !value.EndsWith('/') && !value.EndsWith(".lock", StringComparison.Ordinal) && !value.EndsWith('.');
        return valid ? value : new Invalid($"'{ShortId.Shorten(value)}' is not a valid branch name", "defaultBranch");
    }

    public static Result<string> SystemPrompt(string prompt) =>
        prompt.Trim().Length == 0
            ? new Invalid("the system prompt cannot be empty (reset it to the default instead)", "systemPrompt")
            : prompt.Length > MaxSystemPromptLength
                ? new TooLarge($"the system prompt is {prompt.Length:N0} characters; the limit is {MaxSystemPromptLength:N0}")
                : prompt;

    /// <summary>Background agents must edit, run tests, commit and push without a person to approve each tool.</summary>
    public const string DefaultPermissionMode = "bypassPermissions";

    public const int DefaultAutoFixLimit = 3;

    public const int DefaultSetupTimeoutMinutes = 10;

    public const int MaxSetupTimeoutMinutes = 120;

    public const int MaxScriptLength = 16_000;

    /// <summary>The most a budget may say: past this it is a typo, not a budget.</summary>
    public const decimal MaxBudgetUsd = 100_000;

    /// <summary>A budget in dollars: 0 (none) up to <see cref="MaxBudgetUsd"/>; null when it is fine or not given.</summary>
    public static Invalid? Budget(decimal? budget, string field) =>
        budget is < 0 or > MaxBudgetUsd ? new Invalid($"a budget is between 0 (none) and {MaxBudgetUsd:N0} dollars; {budget} is not", field) : null;

    /// <summary>A setup or cleanup script for the workspace's config: null when none ("" removes one), at most <see cref="MaxScriptLength"/> characters.</summary>
    public static Result<string?> Script(string? script, string field) =>
        script is null || script.Trim().Length == 0 ? Result.Ok<string?>(null)
            : script.Length > MaxScriptLength ? new TooLarge($"the {field} is {script.Length:N0} characters; the limit is {MaxScriptLength:N0} (keep longer ones in the repository as .konduktor/setup)")
            : script.Contains('\0', StringComparison.Ordinal) ? new Invalid($"the {field} contains a NUL character", field)
            : Result.Ok<string?>(script.ReplaceLineEndings("\n"));

    public const int MaxAllowedHosts = 100;

    /// <summary>
    /// The workspace's network allow-list after adding <paramref name="allow"/> and taking out <paramref name="disallow"/>
    /// (each <c>HOST[:PORT]</c>, port 443 unless given, kept as <c>host:port</c>), at most <see cref="MaxAllowedHosts"/>.
    /// </summary>
    public static Result<IReadOnlyList<string>> AllowedHosts(IReadOnlyList<string> current, IReadOnlyList<string>? allow, IReadOnlyList<string>? disallow)
    {
        List<string> hosts = [.. current];
        foreach (var (text, adding) in (allow ?? []).Select(h => (h, true)).Concat((disallow ?? []).Select(h => (h, false))))
        {
            if (!AllowedHost.TryParse(text, out var host))
            {
                return new Invalid($"'{ShortId.Shorten(text)}' is not a host to allow: HOST or HOST:PORT (e.g. registry.example.com or localhost:8080; *.example.com for every name under it)", adding ? "allowHosts" : "disallowHosts");
            }

            hosts.Remove(host.ToString());
            if (adding)
            {
                hosts.Add(host.ToString());
            }
        }

        return hosts.Count > MaxAllowedHosts
            ? new Invalid($"a workspace allows at most {MaxAllowedHosts} hosts", "allowHosts")
            : Result.Ok<IReadOnlyList<string>>(hosts);
    }

    /// <summary>
    /// Who opens a task's pull request: <c>konduktor</c> (the default: Konduktor opens it when a session leaves commits),
    /// <c>agent</c> (the agent is asked to; Konduktor opens a draft when it did not), <c>off</c> (nobody).
    /// </summary>
    public static readonly IReadOnlyList<string> PullRequestModes = ["konduktor", "agent", "off"];

    public const string DefaultPullRequestMode = "konduktor";

    public static Result<string> PullRequestMode(string mode) =>
        PullRequestModes.FirstOrDefault(m => string.Equals(m, mode.Trim(), StringComparison.OrdinalIgnoreCase)) is { } known
            ? known
            : new Invalid($"'{ShortId.Shorten(mode)}' is not a pull request mode; use one of {string.Join(", ", PullRequestModes)}", "pullRequests");

    /// <summary>What <see cref="WorkspaceConfig.FollowIssues"/> says to follow every open issue, whatever its labels.</summary>
    public const string AllIssues = "*";

    /// <summary>GitHub's limit on a label's name.</summary>
    public const int MaxLabelLength = 50;

    /// <summary>Which issues a workspace follows: "" none, "*" all, else one label (only a workspace on GitHub can follow any).</summary>
    public static Result<string> FollowIssues(Workspace workspace, string value)
    {
        var label = value.Trim();
        if (label.Length == 0)
        {
            return "";
        }

        if (workspace.GitHubRepository is null)
        {
            return new Invalid($"workspace {workspace.Name} is not a GitHub repository, so it has no issues to follow; give it one (`konduktor workspaces create URL --github ORG/REPO`)", "followIssues");
        }

        return label.Length > MaxLabelLength || label.Any(char.IsControl)
            ? new Invalid($"'{ShortId.Shorten(label)}' is not a label: one line of at most {MaxLabelLength} characters", "followIssues")
            : label;
    }

    public static readonly IReadOnlyList<string> PermissionModes = ["default", "acceptEdits", "bypassPermissions", "plan"];

    public static Result<string> PermissionMode(string mode) =>
        PermissionModes.FirstOrDefault(m => string.Equals(m, mode.Trim(), StringComparison.OrdinalIgnoreCase)) is { } known
            ? known
            : new Invalid($"'{ShortId.Shorten(mode)}' is not a permission mode; use one of {string.Join(", ", PermissionModes)}", "permissionMode");

    /// <summary>A model name as Claude Code takes it (e.g. "sonnet", "claude-opus-4-1"); "" or null means Claude Code's default (given back as "").</summary>
    public static Result<string> Model(string? model)
    {
        var value = (model ?? "").Trim();
        return value.Length == 0 || ModelPattern().IsMatch(value)
            ? value
            : new Invalid($"'{ShortId.Shorten(value)}' is not a model name: letters, digits, '.', '-', '_' or ':', at most 100", "model");
    }

    [GeneratedRegex(@"^[A-Za-z0-9_][A-Za-z0-9._/-]*$")]
    private static partial Regex BranchPattern();

    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9._:\[\]-]{0,99}$")]
    private static partial Regex ModelPattern();
}

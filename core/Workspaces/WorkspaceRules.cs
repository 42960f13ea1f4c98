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

    [GeneratedRegex(@"^[A-Za-z0-9_][A-Za-z0-9._/-]*$")]
    private static partial Regex BranchPattern();
}

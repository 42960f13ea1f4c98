using System.Text;
using System.Text.RegularExpressions;
using Konduktor.Core.Results;
using Konduktor.Core.Workspaces;

namespace Konduktor.Core.Tasks;

/// <summary>What a valid task looks like. Every write goes through these checks before anything is stored.</summary>
public static partial class TaskRules
{
    public const int MaxTitleLength = 200;
    public const int MaxDescriptionBytes = 1024 * 1024;
    public const int MaxTags = 50;
    public const int MaxTagLength = 50;
    public const string DefaultStatus = BoardColumns.ToDo;

    public static Result<string> Title(string? title, string noun = "task")
    {
        var value = (title ?? "").Trim();
        if (value.Length == 0)
        {
            return new Invalid($"a {noun} needs a title", "title");
        }

        if (value.Length > MaxTitleLength)
        {
            return new Invalid($"the title is {value.Length} characters; the limit is {MaxTitleLength}", "title");
        }

        return value.Any(char.IsControl)
            ? new Invalid("the title must be one line of text (no line breaks or control characters)", "title")
            : value;
    }

    public static Result<string> Description(string? description)
    {
        var value = description ?? "";
        var bytes = Encoding.UTF8.GetByteCount(value);
        return bytes > MaxDescriptionBytes
            ? new TooLarge($"the description is {bytes / 1024.0 / 1024.0:0.##} MiB; the limit is 1 MiB")
            : value;
    }

    public static Result<IReadOnlyList<string>> Tags(IEnumerable<string> tags)
    {
        var result = new List<string>();
        foreach (var raw in tags)
        {
            var tag = (raw ?? "").Trim().ToLowerInvariant();
            if (!TagPattern().IsMatch(tag))
            {
                return new Invalid($"'{ShortId.Shorten(raw ?? "")}' is not a tag: use up to {MaxTagLength} letters, digits, '-', '_', '.', ':' or '/', starting with a letter or digit", "tags");
            }

            if (!result.Contains(tag))
            {
                result.Add(tag);
            }
        }

        return result.Count > MaxTags
            ? new Invalid($"a task can have at most {MaxTags} tags", "tags")
            : result;
    }

    public static Result<string> Status(Workspace workspace, string status) =>
        workspace.FindColumn(status) is { } column
            ? column
            : new Invalid($"'{ShortId.Shorten(status)}' is not a column of {workspace.Name}; the columns are: {string.Join(", ", workspace.Columns)}", "status");

    [GeneratedRegex(@"^[\p{L}\p{N}][\p{L}\p{N}_.:/-]{0,49}$")]
    private static partial Regex TagPattern();
}

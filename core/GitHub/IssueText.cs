using System.Text;
using System.Text.RegularExpressions;
using Konduktor.Core.Tasks;

namespace Konduktor.Core.GitHub;

/// <summary>An issue's text as a task takes it: a one-line title within the limit, the body with a link back, labels as valid tags.</summary>
public static partial class IssueText
{
    public static string Title(string title)
    {
        var line = Whitespace().Replace(string.Concat(title.Select(c => char.IsControl(c) ? ' ' : c)), " ").Trim();
        line = line.Length == 0 ? "(an issue without a title)" : line;
        return line.Length <= TaskRules.MaxTitleLength ? line : line[..(TaskRules.MaxTitleLength - 1)] + "…";
    }

    public static string Description(IssueFacts issue)
    {
        var body = (issue.Body ?? "").Trim();
        var link = $"From issue [#{issue.Number}]({issue.Url}).";
        var room = TaskRules.MaxDescriptionBytes - Encoding.UTF8.GetByteCount(link) - 16;
        if (Encoding.UTF8.GetByteCount(body) > room)
        {
            body = body[..Math.Min(body.Length, room / 4)] + "…";
        }

        return body.Length == 0 ? link : $"{body}\n\n---\n{link}";
    }

    /// <summary>Each label as a tag (lower case, spaces as dashes, other characters dropped); one that cannot be a tag is left out.</summary>
    public static IEnumerable<string> Tags(IEnumerable<string> labels) =>
        labels.Select(l => NotTag().Replace(Whitespace().Replace(l.Trim().ToLowerInvariant(), "-"), "").TrimStart('-', '_', '.', ':', '/'))
            .Select(t => t.Length > TaskRules.MaxTagLength ? t[..TaskRules.MaxTagLength] : t)
            .Where(t => t.Length > 0 && TaskRules.Tags([t]).IsSuccess)
            .Distinct();

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();

    [GeneratedRegex(@"[^\p{L}\p{N}_.:/-]")]
    private static partial Regex NotTag();
}

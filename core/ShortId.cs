using Konduktor.Core.Results;

namespace Konduktor.Core;

/// <summary>
/// Entities have full lower-case UUIDs as RowKeys; people address them by a unique prefix.
/// A prefix resolves with one RowKey range query: <c>RowKey ge 'd803' and RowKey lt 'd804'</c>.
/// </summary>
public static class ShortId
{
    public const int DisplayLength = 8;
    public const int MinimumLength = 4;

    public static string Of(Guid id) => Format(id)[..DisplayLength];

    public static string Format(Guid id) => id.ToString("D");

    /// <summary>Checks a user-typed id or prefix and normalises it to lower case.</summary>
    public static Result<string> Parse(string? text, string noun)
    {
        var prefix = (text ?? "").Trim().ToLowerInvariant();
        if (prefix.Length == 0)
        {
            return new Invalid($"a {noun} id is required");
        }

        if (prefix.Length > 36 || !prefix.All(c => c is (>= '0' and <= '9') or (>= 'a' and <= 'f') or '-'))
        {
            return new Invalid($"'{Shorten(text!)}' is not a {noun} id: use the id's first {DisplayLength} hex characters (or more)");
        }

        if (prefix.Length < MinimumLength)
        {
            return new Invalid($"'{prefix}' is too short to name a {noun}: give at least {MinimumLength} characters of its id");
        }

        return prefix;
    }

    /// <summary>The smallest string greater than every string that starts with <paramref name="prefix"/> (ids are ASCII).</summary>
    public static string UpperBound(string prefix) => prefix[..^1] + (char)(prefix[^1] + 1);

    internal static string Shorten(string text) => text.Length <= 40 ? text : text[..40] + "…";
}

using System.Text.Encodings.Web;

namespace Konduktor.Core.Sessions;

/// <summary>
/// Hides secret values in text, as GitHub Actions does: every value, each line of a value that spans lines (so a key
/// printed over several log lines is hidden line by line), and each of those as it appears inside a JSON string
/// (Claude Code's stream-json escapes quotes, backslashes and control characters).
/// </summary>
public sealed class SecretMask
{
    public const string Masked = "***";

    /// <summary>Shorter values (or lines of values) are not masked: they would hide ordinary words.</summary>
    public const int ShortestMasked = 4;

    private readonly string[] _needles;

    public SecretMask(IEnumerable<string> values) =>
        _needles = values.SelectMany(Forms).Where(n => n.Length >= ShortestMasked).Distinct(StringComparer.Ordinal).OrderByDescending(n => n.Length).ToArray();

    public static SecretMask None { get; } = new([]);

    public bool IsEmpty => _needles.Length == 0;

    public string Apply(string text)
    {
        foreach (var needle in _needles)
        {
            if (text.Contains(needle, StringComparison.Ordinal))
            {
                text = text.Replace(needle, Masked, StringComparison.Ordinal);
            }
        }

        return text;
    }

    public string? ApplyOrNull(string? text) => text is null ? null : Apply(text);

    private static IEnumerable<string> Forms(string value)
    {
        var lines = value.ReplaceLineEndings("\n").Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0);
        foreach (var form in lines.Prepend(value).Prepend(value.Trim()))
        {
            yield return form;
            yield return JavaScriptEncoder.UnsafeRelaxedJsonEscaping.Encode(form);
        }
    }
}

using System.Text.Json;
using Konduktor.Core.Json;
using Konduktor.Core.Results;

namespace Konduktor.Core.Projects;

/// <summary>
/// A project's phases live in one property of its row (JSON, at most 64 KiB in Table Storage), so each phase's text is
/// short and all of them together must fit: longer material belongs in the project's spec or in docs.
/// </summary>
internal static class PhaseRules
{
    public const int MaxText = 4_000;
    private const int MaxTogether = 30_000;

    /// <summary>A phase's description or an approval note: up to <see cref="MaxText"/> characters.</summary>
    public static Result<string?> Text(string? text, string what) =>
        text is { Length: > MaxText } ? new TooLarge($"a phase's {what} may be at most {MaxText:N0} characters (this one has {text.Length:N0}); put longer material in the project's spec or a doc")
        : Result.Ok(text);

    /// <summary>Whether the phases, as they would be stored, fit in the project's row.</summary>
    public static Result<Done> Fit(IReadOnlyList<StoredPhase> phases) =>
        KonduktorJson.Serialize(phases).Length is var length && length > MaxTogether
            ? new TooLarge($"the project's phases would take {length:N0} characters together, more than the {MaxTogether:N0} a project holds; shorten phase descriptions or notes, or move detail to the spec")
            : Done.Value;
}

using System.Text.Json.Serialization;
using Konduktor.Core.Json;

namespace Konduktor.Core;

[JsonConverter(typeof(JsonEnumName<Priority>))]
public enum Priority
{
    None,
    Low,
    Medium,
    High,
    Urgent,
}

public static class Priorities
{
    public static Konduktor.Core.Results.Result<Priority> Parse(string text) =>
        Enum.TryParse<Priority>(text.Trim(), ignoreCase: true, out var value) && Enum.IsDefined(value) && !int.TryParse(text, out _)
            ? value
            : new Konduktor.Core.Results.Invalid($"'{ShortId.Shorten(text)}' is not a priority; use one of: none, low, medium, high, urgent", "priority");
}

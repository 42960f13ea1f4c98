using Konduktor.Core;
using Konduktor.Core.Results;
using Konduktor.Core.Sessions;
using Konduktor.Core.Tasks;
using Microsoft.AspNetCore.Http;

namespace Konduktor.Functions.Http;

/// <summary>Query-string and header values the functions read.</summary>
public static class Query
{
    public static bool Flag(HttpRequest req, string name) =>
        req.Query[name].ToString() is "true" or "1" or "yes";

    /// <summary>The If-Match header: update only if the entity is still at this version.</summary>
    /// <summary>
    /// The version the caller changes from (<c>If-Match</c>): an ETag this API returned, or none ("*" too). Anything else
    /// is refused as malformed rather than taken for a version that merely no longer matches.
    /// </summary>
    public static Result<string?> IfMatch(HttpRequest req) =>
        req.Headers.IfMatch.ToString() is not { Length: > 0 } value || value == "*" ? Result.Ok<string?>(null)
        : value.Length <= 200 && (value.StartsWith("W/\"", StringComparison.Ordinal) || value.StartsWith('"')) && value.EndsWith('"') && value.Count(c => c == '"') == 2 ? value
        : new Invalid("If-Match must be a version this API returned (the `version` of what you read, e.g. W/\"datetime'…'\"), or be left out", "If-Match");

    public static Result<TaskFilter> TaskFilter(HttpRequest req)
    {
        Priority? priority = null;
        if (Value(req, "priority") is { } text)
        {
            if (!Priorities.Parse(text).TryGet(out var parsed, out var failure))
            {
                return failure;
            }

            priority = parsed;
        }

        return new TaskFilter { Status = Value(req, "status"), Tag = Value(req, "tag"), Priority = priority, Text = Value(req, "q") };
    }

    /// <summary>A whole number from the query string, or the default when absent.</summary>
    public static Result<long> Number(HttpRequest req, string name, long defaultValue) =>
        Value(req, name) is not { } text ? defaultValue
        : long.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var value) ? value
        : new Invalid($"'{name}' must be a whole number, not '{(text.Length > 20 ? text[..20] : text)}'", name);

    public static Result<SessionFilter> SessionFilter(HttpRequest req)
    {
        SessionStatus? status = null;
        if (Value(req, "status") is { } text)
        {
            var names = Enum.GetValues<SessionStatus>().ToDictionary(v => Konduktor.Core.Json.KonduktorJson.Name(v), StringComparer.OrdinalIgnoreCase);
            if (!names.TryGetValue(text, out var parsed))
            {
                return new Invalid($"'{(text.Length > 40 ? text[..40] : text)}' is not a session status; use one of {string.Join(", ", names.Keys)}", "status");
            }

            status = parsed;
        }

        return Number(req, "limit", 50).Then<SessionFilter>(limit => limit is < 1 or > 1000
            ? new Invalid("'limit' must be between 1 and 1000", "limit")
            : new SessionFilter { Task = Value(req, "task"), Status = status, Limit = (int)limit });
    }

    /// <summary>A free-text query value, or null when absent.</summary>
    public static string? Text(HttpRequest req, string name) => Value(req, name);

    private static string? Value(HttpRequest req, string name) =>
        req.Query[name].ToString() is { Length: > 0 } value ? value : null;
}

using Konduktor.Core;
using Konduktor.Core.Results;
using Konduktor.Core.Tasks;
using Microsoft.AspNetCore.Http;

namespace Konduktor.Functions.Http;

/// <summary>Query-string and header values the functions read.</summary>
public static class Query
{
    public static bool Flag(HttpRequest req, string name) =>
        req.Query[name].ToString() is "true" or "1" or "yes";

    /// <summary>The If-Match header: update only if the entity is still at this version.</summary>
    public static string? IfMatch(HttpRequest req) =>
        req.Headers.IfMatch.ToString() is { Length: > 0 } value && value != "*" ? value : null;

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

    private static string? Value(HttpRequest req, string name) =>
        req.Query[name].ToString() is { Length: > 0 } value ? value : null;
}

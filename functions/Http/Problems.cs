using Konduktor.Core.Results;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;

namespace Konduktor.Functions.Http;

/// <summary>The one place a <see cref="Failure"/> becomes an HTTP answer: RFC 9457 problem+json.</summary>
public static class Problems
{
    public static JsonReply From(Failure failure)
    {
        var (status, title) = failure switch
        {
            NotFound => (StatusCodes.Status404NotFound, "Not found"),
            Ambiguous => (StatusCodes.Status409Conflict, "Ambiguous id"),
            Conflict => (StatusCodes.Status409Conflict, "Conflict"),
            Invalid => (StatusCodes.Status400BadRequest, "Invalid input"),
            TooLarge => (StatusCodes.Status413PayloadTooLarge, "Too large"),
            Unauthorized => (StatusCodes.Status401Unauthorized, "Unauthorized"),
            Forbidden => (StatusCodes.Status403Forbidden, "Forbidden"),
            Throttled => (StatusCodes.Status429TooManyRequests, "Usage limit"),
            OverBudget => (StatusCodes.Status409Conflict, "Budget reached"),
            _ => (StatusCodes.Status400BadRequest, "Bad request"),
        };
        var problem = new ProblemDetails { Status = status, Title = title, Detail = failure.Message, Type = "about:blank" };
        switch (failure)
        {
            case Ambiguous ambiguous:
                problem.Extensions["matches"] = ambiguous.Matches;
                break;
            case Invalid { Field: { } field }:
                problem.Extensions["field"] = field;
                break;
        }

        return new JsonReply(problem, status, "application/problem+json");
    }

    public static JsonReply Status(int status, string title, string detail) =>
        new(new ProblemDetails { Status = status, Title = title, Detail = detail, Type = "about:blank" }, status, "application/problem+json");
}

using System.Text.Json;

namespace Konduktor.Core.Json;

/// <summary>Reads the message a person can act on from an API refusal (problem+json's <c>detail</c>).</summary>
public static class ProblemDetail
{
    /// <returns>The detail, or null when the body is not problem+json (a proxy's page, say).</returns>
    public static string? Read(string body)
    {
        try
        {
            using var problem = JsonDocument.Parse(body);
            return problem.RootElement.ValueKind == JsonValueKind.Object && problem.RootElement.TryGetProperty("detail", out var detail)
                && detail.ValueKind == JsonValueKind.String && detail.GetString() is { Length: > 0 } message
                ? message
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

using System.Text.Json;
using System.Text.RegularExpressions;
using Konduktor.Core.Json;
using Konduktor.Core.Results;
using Microsoft.AspNetCore.Http;

namespace Konduktor.Functions.Http;

/// <summary>Reads a JSON body strictly: bounded size, no unknown fields, required fields present, clear errors.</summary>
public static partial class RequestBody
{
    /// <summary>Room for a 1 MiB description even when JSON escaping inflates it.</summary>
    public const int MaxBytes = 8 * 1024 * 1024;

    public static async Task<Result<T>> ReadAsync<T>(HttpRequest request, CancellationToken ct)
    {
        if (!(await ReadBytesAsync(request, MaxBytes, ct)).TryGet(out var bytes, out var failure))
        {
            return failure;
        }

        if (bytes.Length == 0)
        {
            return new Invalid("the request needs a JSON body");
        }

        try
        {
            var value = KonduktorJson.Deserialize<T>(bytes);
            return value is null ? new Invalid("the request body must be a JSON object, not null") : value;
        }
        catch (JsonException e)
        {
            return new Invalid(Explain(e));
        }
    }

    /// <summary>The raw body, refused (413) past <paramref name="maxBytes"/> before more of it is read.</summary>
    public static async Task<Result<byte[]>> ReadBytesAsync(HttpRequest request, int maxBytes, CancellationToken ct)
    {
        if (request.ContentLength > maxBytes)
        {
            return TooBig(request.ContentLength.Value, maxBytes);
        }

        var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, ct)) > 0)
        {
            if (buffer.Length + read > maxBytes)
            {
                return TooBig(buffer.Length + read, maxBytes);
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }

    private static TooLarge TooBig(long bytes, int maxBytes) =>
        new($"the request body is {bytes / 1024.0 / 1024.0:0.#} MiB or more; the limit is {maxBytes / 1024 / 1024} MiB");

    private static string Explain(JsonException e)
    {
        var field = e.Path is { Length: > 2 } path ? path.TrimStart('$', '.') : null;
        if (UnknownProperty().Match(e.Message) is { Success: true } unknown)
        {
            return $"unknown field '{unknown.Groups[1].Value}'";
        }

        if (MissingProperties().Match(e.Message) is { Success: true } missing)
        {
            return $"missing required field(s): {missing.Groups[1].Value.Replace("'", "", StringComparison.Ordinal)}";
        }

        if (e.InnerException is not null || e.Message.Contains("invalid", StringComparison.OrdinalIgnoreCase) && e.LineNumber is not null && field is null)
        {
            return $"the body is not valid JSON (line {e.LineNumber + 1}, position {e.BytePositionInLine + 1})";
        }

        return field is null
            ? "the body does not have the expected shape: a JSON object with the documented fields"
            : $"field '{field}' has a value of the wrong type or an unknown value";
    }

    [GeneratedRegex("property '([^']*)' could not be mapped")]
    private static partial Regex UnknownProperty();

    [GeneratedRegex("missing required properties including: (.*)\\.$")]
    private static partial Regex MissingProperties();
}

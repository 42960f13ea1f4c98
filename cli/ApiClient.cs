using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Konduktor.Core.Contract;
using Konduktor.Core.Json;

namespace Konduktor.Cli;

/// <summary>The CLI's one way to the API: bearer token, JSON in and out, problem+json turned into one-line errors.</summary>
public sealed class ApiClient(HttpClient http)
{
    /// <summary>Reading responses tolerates fields this CLI does not know yet (a newer server).</summary>
    private static readonly JsonSerializerOptions ReadOptions = new(KonduktorJson.Options) { UnmappedMemberHandling = System.Text.Json.Serialization.JsonUnmappedMemberHandling.Skip };

    public static ApiClient Create(KonduktorHome home)
    {
        var url = home.ApiUrl()
            ?? throw new CommandFailedException("Konduktor is not running for this home: start it with `./konduktor up` (or set KONDUKTOR_URL)");
        if (!Uri.TryCreate(url.TrimEnd('/') + "/api/", UriKind.Absolute, out var baseUri) || baseUri.Scheme is not ("http" or "https"))
        {
            throw new CommandFailedException($"'{url}' is not an http(s) URL; fix KONDUKTOR_URL or {home.ConfigFile}");
        }

        var signIn = Environment.GetEnvironmentVariable("KONDUKTOR_TOKEN") is { Length: > 0 } || KonduktorHome.InsideSession ? null : home.ReadConfig().Entra;
        var http = signIn is null ? new HttpClient() : new HttpClient(new EntraTokenHandler(home, signIn));
        http.BaseAddress = baseUri;
        http.Timeout = TimeSpan.FromSeconds(100);
        if (home.Token() is { } token)
        {
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return new ApiClient(http);
    }

    /// <summary>Calls an operation of the contract that takes no body: the route's values in order, and its query.</summary>
    public Task<ApiResponse<T>> CallAsync<T>(Operation<T> operation, IReadOnlyList<string> route, CancellationToken ct, IReadOnlyList<KeyValuePair<string, string?>>? query = null, string? ifMatch = null) =>
        SendAsync<T>(operation, operation.Path([.. route], query ?? []), null, ifMatch, ct);

    /// <summary>Calls an operation of the contract with its body.</summary>
    /// <param name="ifMatch">The version read (<c>tasks show</c> prints it): the change is refused if someone changed it since.</param>
    public Task<ApiResponse<TReply>> CallAsync<TBody, TReply>(Operation<TBody, TReply> operation, IReadOnlyList<string> route, TBody body, CancellationToken ct, string? ifMatch = null) =>
        SendAsync<TReply>(operation, operation.Path([.. route], []), new StringContent(JsonSerializer.Serialize(body, KonduktorJson.Info<TBody>(KonduktorJson.Options)), Encoding.UTF8, "application/json"), ifMatch, ct);

    /// <summary>Calls an operation with its body as JSON already made (the MCP server's tools), and gives the reply's JSON as it came.</summary>
    public Task<string> CallWithJsonAsync(Operation operation, IReadOnlyList<string> route, IReadOnlyList<KeyValuePair<string, string?>> query, string? json, string? ifMatch, CancellationToken ct) =>
        SendTextAsync(operation, operation.Path([.. route], query), json is null ? null : new StringContent(json, Encoding.UTF8, "application/json"), ifMatch, ct);

    private async Task<ApiResponse<T>> SendAsync<T>(Operation operation, string path, HttpContent? body, string? ifMatch, CancellationToken ct)
    {
        var text = await SendTextAsync(operation, path, body, ifMatch, ct);
        try
        {
            var value = JsonSerializer.Deserialize(text, KonduktorJson.Info<T>(ReadOptions)) ?? throw new JsonException("empty");
            return new ApiResponse<T>(value, text);
        }
        catch (JsonException)
        {
            throw new CommandFailedException($"Konduktor at {http.BaseAddress} sent an answer this CLI does not understand; are the CLI and server versions the same?");
        }
    }

    private async Task<string> SendTextAsync(Operation operation, string path, HttpContent? body, string? ifMatch, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(new HttpMethod(operation.Method.ToUpperInvariant()), path) { Content = body };

        if (ifMatch is not null)
        {
            request.Headers.TryAddWithoutValidation("If-Match", ifMatch);
        }

        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, ct);
        }
        catch (HttpRequestException e)
        {
            throw new CommandFailedException($"cannot reach Konduktor at {http.BaseAddress} ({e.HttpRequestError}): is `konduktor up` running?");
        }
        catch (TaskCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new CommandFailedException($"Konduktor at {http.BaseAddress} did not answer in time");
        }

        using (response)
        {
            var text = await response.Content.ReadAsStringAsync(ct);
            return response.IsSuccessStatusCode ? text : throw new CommandFailedException(ProblemMessage(response, text));
        }
    }

    private static string ProblemMessage(HttpResponseMessage response, string text) =>
        ProblemDetail.Read(text) ?? $"the server answered {(int)response.StatusCode} {response.ReasonPhrase}";
}

/// <summary>A typed answer, and its JSON exactly as the API sent it (what <c>--json</c> prints).</summary>
public sealed record ApiResponse<T>(T Value, string Json);

using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Azure.Data.Tables;
using Konduktor.LocalHost;
using Konduktor.LocalHost.Bindings;
using Konduktor.Tests.Infrastructure;

namespace Konduktor.Tests.EndToEnd;

/// <summary>
/// Every route fed malformed ids, bodies, headers, sizes and query values, as the caller it is for: never a 5xx, every
/// refusal a problem+json, and a refused change leaves storage exactly as it was.
/// </summary>
public sealed partial class RouteFuzzTests(AzuriteFixture azurite)
{
    private static readonly string[] Ids = ["nope", "zz", "", "%00", "..%2F..%2Fetc", "%F0%9F%98%80", new('a', 600), "-1", "abcd1234"];
    private static readonly string[] Numbers = ["0", "-1", "99999999999", "1"];

    private static readonly byte[][] Bodies =
    [
        [], "{"u8.ToArray(), "[]"u8.ToArray(), "null"u8.ToArray(), "\"x\""u8.ToArray(), "{}"u8.ToArray(), "0"u8.ToArray(),
        "{\"title\":5,\"status\":[],\"tags\":\"x\",\"capacity\":-3,\"name\":{}}"u8.ToArray(),
        "{\"unknownField\":1}"u8.ToArray(),
        Encoding.UTF8.GetBytes(new string('[', 5000) + new string(']', 5000)),
        Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new { title = new string('t', 2 * 1024 * 1024), description = new string('d', 40_000), note = new string('n', 40_000), message = new string('m', 70_000), messageText = new string('x', 70_000) })),
        [0xff, 0xfe, 0x7b, 0x22, 0xc3, 0x28, 0x22, 0x7d],
        "{\"capacity\":1e400,\"rank\":1e400,\"number\":99999999999999999999}"u8.ToArray(),
        "{\"title\":\"\\u0000\",\"repository\":\"\\u0000\",\"status\":\"\\u0000\",\"name\":\"..\\/..\"}"u8.ToArray(),
        "{\"events\":[{\"seq\":-1,\"time\":\"yesterday\",\"stream\":\"x\",\"text\":null}],\"tasks\":[{}],\"status\":\"sleeping\"}"u8.ToArray(),
    ];

    private static readonly (string Name, string Value)[] Headers =
    [
        ("If-Match", "garbage"), ("If-Match", "\"\""), ("If-Match", "W/\"datetime'x'\""), ("If-Match", new string('e', 8000)),
        ("Content-Type", "text/plain"), ("Content-Type", "application/json; charset=utf-32"),
    ];

    private const string Query = "?after=-1&limit=0&wait=99999&status=%00&task=..&version=-5&force=maybe&open=2&tag=" + "%F0%9F";

    [Fact]
    public async Task Every_route_answers_malformed_input_with_a_4xx_problem_and_never_half_writes()
    {
        var prefix = AzuriteFixture.NewPrefix();
        await using var up = await KonduktorUp.StartAsync(storage: azurite.ConnectionString, prefix: prefix, extraArguments: ["--no-runner"]);
        Assert.Equal(0, (await up.CliAsync("workspaces", "create", "someone/app")).ExitCode);
        var taskId = JsonDocument.Parse((await up.CliAsync("-w", "app", "tasks", "create", "--title", "existing", "--json")).Output).RootElement.GetProperty("id").GetString()!;
        using var person = up.Http();
        var registered = await person.PostAsync("api/runners", new StringContent("{\"name\":\"fuzz-runner\"}", Encoding.UTF8, "application/json"));
        var runnerToken = JsonDocument.Parse(await registered.Content.ReadAsStringAsync()).RootElement.GetProperty("token").GetString()!;
        using var runner = up.Http(runnerToken);

        var failures = new List<string>();
        var calls = 0;
        var routes = FunctionEndpoints.Discover(typeof(Konduktor.Functions.SessionFunctions).Assembly).Where(f => !f.Route.StartsWith("github/webhooks", StringComparison.Ordinal)).ToList();
        foreach (var route in routes)
        {
            var http = route.Route.StartsWith("runner/", StringComparison.Ordinal) || route.Route.EndsWith("/heartbeat", StringComparison.Ordinal) ? runner : person;
            foreach (var method in route.HttpMethods)
            {
                foreach (var (path, body, header) in Cases(route.Route, method, taskId))
                {
                    calls++;
                    if (await CallAsync(http, method, path, body, header, prefix) is { } failure)
                    {
                        failures.Add($"{route.Name} {method} {Shorten(path)} [{(body is null ? "no body" : Shorten(Encoding.UTF8.GetString(body)))}{(header is { } h ? $"; {h.Name}: {Shorten(h.Value)}" : "")}]: {failure}");
                    }
                }
            }
        }

        TestContext.Current.TestOutputHelper?.WriteLine($"fuzzed {routes.Count} routes with {calls} calls: {failures.Count} failures");
        Assert.True(failures.Count == 0, $"{failures.Count} of {calls} calls over {routes.Count} routes misbehaved:\n{string.Join('\n', failures.Take(40))}");
    }

    private static IEnumerable<(string Path, byte[]? Body, (string Name, string Value)? Header)> Cases(string route, string method, string taskId)
    {
        var hasBody = method is "POST" or "PATCH" or "PUT";
        var defaultBody = hasBody ? "{}"u8.ToArray() : null;
        string Fill(string id, string number) => "api/" + Placeholder().Replace(route, m => m.Value switch
        {
            "{workspace}" => id == "abcd1234" ? "app" : id,
            _ when m.Value.EndsWith(":int}", StringComparison.Ordinal) => number,
            "{task}" when id == "abcd1234" => taskId,
            _ => id,
        });

        foreach (var id in route.Contains('{', StringComparison.Ordinal) ? Ids : ["abcd1234"])
        {
            yield return (Fill(id, "1"), defaultBody, null);
        }

        foreach (var number in route.Contains(":int}", StringComparison.Ordinal) ? Numbers : [])
        {
            yield return (Fill("abcd1234", number), defaultBody, null);
        }

        foreach (var body in hasBody ? Bodies : [])
        {
            yield return (Fill("abcd1234", "1"), body, null);
        }

        foreach (var header in Headers)
        {
            yield return (Fill("abcd1234", "1"), defaultBody, header);
        }

        yield return (Fill("abcd1234", "1") + Query, defaultBody, null);
    }

    /// <summary>Null when the answer is right: below 500, problem+json when refused, storage untouched by a refused change.</summary>
    private async Task<string?> CallAsync(HttpClient http, string method, string path, byte[]? body, (string Name, string Value)? header, string prefix)
    {
        var changes = method != "GET";
        var before = changes ? await SnapshotAsync(prefix) : null;
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (body is not null)
        {
            request.Content = new ByteArrayContent(body);
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        }

        if (header is { Name: "Content-Type" } contentType && request.Content is not null)
        {
            request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType.Value);
        }
        else if (header is { } other)
        {
            request.Headers.TryAddWithoutValidation(other.Name, other.Value);
        }

        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        var status = (int)response.StatusCode;
        if (status >= 500)
        {
            return $"{status}: {await response.Content.ReadAsStringAsync()}";
        }

        if (status < 400)
        {
            return null;
        }

        // A NUL in the request target is refused by the web server itself (Kestrel) before any app code runs.
        if (status == 400 && path.Contains("%00", StringComparison.Ordinal) && response.Content.Headers.ContentLength == 0)
        {
            return null;
        }

        if (response.Content.Headers.ContentType?.MediaType != "application/problem+json")
        {
            return $"{status} without problem+json ({response.Content.Headers.ContentType})";
        }

        return changes && before != await SnapshotAsync(prefix) ? $"{status}, but storage changed" : null;
    }

    private async Task<string> SnapshotAsync(string prefix)
    {
        var service = new TableServiceClient(azurite.ConnectionString);
        var lines = new List<string>();
        await foreach (var table in service.QueryAsync(t => t.Name.CompareTo(prefix) >= 0 && t.Name.CompareTo(prefix + "~") < 0))
        {
            await foreach (var entity in service.GetTableClient(table.Name).QueryAsync<TableEntity>(select: ["PartitionKey", "RowKey"]))
            {
                lines.Add($"{table.Name}/{entity.PartitionKey}/{entity.RowKey}/{entity.ETag}");
            }
        }

        return string.Join('\n', lines.Order(StringComparer.Ordinal));
    }

    private static string Shorten(string text) => text.Length > 80 ? text[..80] + "…" : text;

    [GeneratedRegex("{[^}]+}")]
    private static partial Regex Placeholder();
}

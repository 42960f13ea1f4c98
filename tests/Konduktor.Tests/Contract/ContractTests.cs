using System.Net;
using System.Text.Json.Nodes;
using Konduktor.Core.Contract;
using Konduktor.Tests.Infrastructure;

namespace Konduktor.Tests.Contract;

/// <summary>
/// One contract for every client: the API serves its OpenAPI document to anyone, it is the document the board's types
/// are generated from, and every reference in it resolves.
/// </summary>
public sealed class ContractTests(AzuriteFixture azurite)
{
    private static readonly string BoardContract = Path.Combine(KonduktorCli.RepositoryRoot, "web", "src", "api", "openapi.json");

    [Fact]
    public async Task The_api_serves_its_contract_without_a_token_and_it_is_the_one_the_board_is_built_against()
    {
        await using var up = await KonduktorUp.StartAsync(storage: azurite.ConnectionString);
        using var anonymous = new HttpClient { BaseAddress = new Uri(up.Url) };

        using var response = await anonymous.GetAsync("api/openapi.json", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var served = JsonNode.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken))!;
        Assert.Equal("3.1.0", served["openapi"]!.GetValue<string>());
        Assert.True(JsonNode.DeepEquals(served, JsonNode.Parse(await File.ReadAllTextAsync(BoardContract, TestContext.Current.CancellationToken))),
            "web/src/api/openapi.json differs from what the API serves: build the CLI (it writes the file) and commit it");
    }

    [Fact]
    public void Every_operation_is_in_the_contract_with_its_route_body_reply_and_failures_and_every_reference_resolves()
    {
        var document = OpenApiDocument.Build();
        var paths = document["paths"]!.AsObject();
        foreach (var operation in Operations.All)
        {
            var path = "/" + string.Join('/', operation.Route.Split('/').Select(s => s.StartsWith('{') ? "{" + s.Trim('{', '}').Split(':')[0] + "}" : s));
            var described = paths[path]?[operation.Method];
            Assert.True(described is not null, $"{operation.Name} is not in the contract at {operation.Method} {path}");
            Assert.Equal(operation.Name, described!["operationId"]!.GetValue<string>());
            Assert.NotNull(described["responses"]![operation.Status.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            Assert.NotNull(described["responses"]!["503"]);
            Assert.Equal(operation.Body is not null || operation.RawBody is not null, described["requestBody"] is not null);
            Assert.Equal(operation.Parameters.Count + operation.Query.Count + (operation.TakesIfMatch ? 1 : 0), described["parameters"]?.AsArray().Count ?? 0);
        }

        var references = new List<string>();
        Collect(document, references);
        Assert.NotEmpty(references);
        Assert.All(references, reference => Assert.True(Resolve(document, reference) is not null, $"{reference} does not resolve"));
        Assert.Equal(new[] { "priority", "project", "phase", "description", "status", "tags", "title", "blockedBy", "autoRun" }.Order(), document["components"]!["schemas"]!["NewTask"]!["properties"]!.AsObject().Select(p => p.Key).Order());
        Assert.Equal(["title"], document["components"]!["schemas"]!["NewTask"]!["required"]!.AsArray().Select(n => n!.GetValue<string>()));
    }

    [Fact]
    public void A_path_fills_the_routes_parameters_in_order_escaped_and_refuses_the_wrong_count()
    {
        Assert.Equal("workspaces/my%20repo/tasks/abcd1234/move", Operations.MoveTask.Path("my repo", "abcd1234"));
        Assert.Equal("workspaces/w/projects/p/phases/2", Operations.UpdatePhase.Path("w", "p", "2"));
        Assert.Equal("workspaces/w/sessions?task=abcd&status=running", Operations.ListSessions.Path(["w"], [new("task", "abcd"), new("status", "running"), new("limit", null)]));
        Assert.Throws<ArgumentException>(() => Operations.GetTask.Path("only-one"));
    }

    private static void Collect(JsonNode? node, List<string> references)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (key, value) in obj)
                {
                    if (key == "$ref")
                    {
                        references.Add(value!.GetValue<string>());
                    }
                    else
                    {
                        Collect(value, references);
                    }
                }

                break;
            case JsonArray array:
                foreach (var item in array)
                {
                    Collect(item, references);
                }

                break;
        }
    }

    private static JsonNode? Resolve(JsonNode document, string reference) =>
        reference.TrimStart('#', '/').Split('/').Aggregate<string, JsonNode?>(document, (node, segment) => node?[segment.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal)]);
}

using System.Text.Json;
using Konduktor.Tests.Infrastructure;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;

namespace Konduktor.Tests.Contract;

/// <summary>
/// `konduktor mcp` driven by a real MCP client (the MCP C# SDK's, over stdio, as Claude Code starts it): a person's
/// assistant creates, finds and reads tasks; under an agent's session token the same server is exactly as limited as
/// the agent's CLI.
/// </summary>
public sealed class McpServerTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task A_persons_mcp_client_lists_the_boards_tools_and_creates_finds_and_reads_a_task()
    {
        await using var up = await KonduktorUp.StartAsync(storage: azurite.ConnectionString, extraArguments: ["--no-runner"]);
        var (workspace, _) = await new SessionDriver(up).CreateWorkspaceAsync();
        await using var client = await ConnectAsync(up.Home, ["-w", workspace], new Dictionary<string, string?>());

        var tools = (await client.ListToolsAsync(cancellationToken: TestContext.Current.CancellationToken)).Select(t => t.Name).ToList();
        Assert.Contains("create_task", tools);
        Assert.Contains("run_task", tools);
        Assert.Contains("delete_task", tools);
        Assert.Contains("answer_question", tools);
        Assert.Contains("approve_phase", tools);
        Assert.DoesNotContain("claim_session", tools);
        Assert.DoesNotContain("append_session_logs", tools);

        var created = await CallAsync(client, "create_task", new() { ["title"] = "Written by an MCP client", ["tags"] = new[] { "mcp" }, ["priority"] = "high" });
        Assert.False(created.IsError ?? false, Text(created));
        var task = JsonDocument.Parse(Text(created)).RootElement;
        Assert.Equal("Written by an MCP client", task.GetProperty("title").GetString());
        Assert.Equal("high", task.GetProperty("priority").GetString());
        var shortId = task.GetProperty("shortId").GetString()!;

        var found = await CallAsync(client, "list_tasks", new() { ["tag"] = "mcp" });
        Assert.Equal([shortId], JsonDocument.Parse(Text(found)).RootElement.EnumerateArray().Select(t => t.GetProperty("shortId").GetString()));
        var read = await CallAsync(client, "get_task", new() { ["task"] = shortId[..6] });
        Assert.Equal("Written by an MCP client", JsonDocument.Parse(Text(read)).RootElement.GetProperty("title").GetString());

        var missing = await CallAsync(client, "get_task", new() { ["task"] = "ffff0000" });
        Assert.True(missing.IsError);
        Assert.Contains("ffff0000", Text(missing), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Under_an_agents_session_token_the_mcp_server_offers_and_allows_only_what_an_agent_may()
    {
        await using var up = await KonduktorUp.StartAsync(storage: azurite.ConnectionString);
        var driver = new SessionDriver(up);
        var (workspace, _) = await driver.CreateWorkspaceAsync();
        await using var held = await driver.HoldSessionTokenAsync(workspace);
        var session = new Dictionary<string, string?>
        {
            ["KONDUKTOR_SESSION"] = "mcp-probe",
            ["KONDUKTOR_URL"] = up.Url,
            ["KONDUKTOR_TOKEN"] = held.Token,
            ["KONDUKTOR_WORKSPACE"] = workspace,
        };
        await using var client = await ConnectAsync(KonduktorUp.NewHome(), [], session);

        var tools = (await client.ListToolsAsync(cancellationToken: TestContext.Current.CancellationToken)).Select(t => t.Name).ToList();
        Assert.Contains("create_task", tools);
        Assert.Contains("ask_question", tools);
        Assert.DoesNotContain("delete_task", tools);
        Assert.DoesNotContain("answer_question", tools);
        Assert.DoesNotContain("set_secret", tools);

        var created = await CallAsync(client, "create_task", new() { ["title"] = "Planned by an agent" });
        Assert.False(created.IsError ?? false, Text(created));
        var refused = await CallAsync(client, "delete_task", new() { ["task"] = JsonDocument.Parse(Text(created)).RootElement.GetProperty("shortId").GetString() });
        Assert.True(refused.IsError);
        Assert.Contains("an agent's session may not delete tasks", Text(refused), StringComparison.Ordinal);
        var still = await CallAsync(client, "list_tasks", []);
        Assert.Contains("Planned by an agent", Text(still), StringComparison.Ordinal);
    }

    private static async Task<McpClient> ConnectAsync(string home, string[] arguments, Dictionary<string, string?> environment)
    {
        environment["KONDUKTOR_HOME"] = home;
        foreach (var name in new[] { "KONDUKTOR_URL", "KONDUKTOR_TOKEN", "KONDUKTOR_WORKSPACE", "KONDUKTOR_SESSION" })
        {
            environment.TryAdd(name, null);
        }

        var transport = new StdioClientTransport(new StdioClientTransportOptions
        {
            Name = "konduktor",
            Command = KonduktorCli.NativeOrBuilt,
            Arguments = ["mcp", .. arguments],
            EnvironmentVariables = environment,
        });
        return await McpClient.CreateAsync(transport, cancellationToken: TestContext.Current.CancellationToken);
    }

    private static Task<CallToolResult> CallAsync(McpClient client, string tool, Dictionary<string, object?> arguments) =>
        client.CallToolAsync(tool, arguments, cancellationToken: TestContext.Current.CancellationToken).AsTask();

    private static string Text(CallToolResult result) => string.Join("\n", result.Content.OfType<TextContentBlock>().Select(c => c.Text));
}

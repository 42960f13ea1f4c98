using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using Konduktor.Core.Auth;
using Konduktor.Core.Contract;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace Konduktor.Cli.Mcp;

/// <summary>
/// <c>konduktor mcp</c>: the board as an MCP server over stdio, for a person's own Claude Code or Claude Desktop (or an
/// agent's). It signs in as this konduktor does — a person's token, or inside a session the session's — so it may do
/// exactly what the CLI may.
/// </summary>
public static class McpCommand
{
    public static Command Build() => CommandFactory.Create("mcp",
        "Serve Konduktor to an MCP client over stdio (e.g. `claude mcp add konduktor -- konduktor mcp`): tasks, sessions, projects, questions, docs and agents as tools",
        async (cli, ct) =>
        {
            var server = new Server(cli);
            var options = new McpServerOptions
            {
                ServerInfo = new Implementation { Name = "konduktor", Version = OpenApiDocument.ApiVersion },
                ServerInstructions = "Konduktor runs Claude Code agents in the background on a board of tasks. Ids: a unique prefix of 4+ hex characters works. Moving a task to another column and running it are separate tools (move_task, run_task).",
                Capabilities = new ServerCapabilities { Tools = new ToolsCapability() },
                Handlers = new McpServerHandlers
                {
                    ListToolsHandler = async (_, token) => new ListToolsResult { Tools = [.. (await server.ToolsAsync(token)).Select(t => t.Tool)] },
                    CallToolHandler = async (request, token) => await server.CallAsync(request.Params!, token),
                },
            };
            await using var transport = new StdioServerTransport("konduktor");
            await using var mcp = McpServer.Create(transport, options);
            await mcp.RunAsync(ct);
        });

    private sealed class Server(CliContext cli)
    {
        /// <summary>Every tool a person may use (an agent's are among them): what a call is looked up in, whoever calls.</summary>
        private readonly Lazy<IReadOnlyList<ContractTool>> _everyTool = new(() => ContractTools.For(null, true));
        private IReadOnlyList<ContractTool>? _tools;

        /// <summary>The tools this caller may use, known once who it is was asked (every tool a person may use when that fails).</summary>
        public async Task<IReadOnlyList<ContractTool>> ToolsAsync(CancellationToken ct)
        {
            if (_tools is null)
            {
                PrincipalKind? caller = null;
                try
                {
                    var status = await cli.Api.CallAsync(Operations.GetStatus, [], ct);
                    caller = Enum.TryParse<PrincipalKind>(status.Value.PrincipalKind, ignoreCase: true, out var kind) ? kind : null;
                }
                catch (CommandFailedException)
                {
                    // Not reachable now: every call says so when it is made.
                }

                _tools = ContractTools.For(caller, DefaultWorkspace() is not null);
            }

            return _tools;
        }

        public async Task<CallToolResult> CallAsync(CallToolRequestParams call, CancellationToken ct)
        {
            var tool = _everyTool.Value.FirstOrDefault(t => t.Tool.Name == call.Name);
            if (tool is null)
            {
                return Failed($"there is no tool named '{call.Name}'; tools/list names them");
            }

            var operation = tool.Operation;
            var arguments = call.Arguments ?? new Dictionary<string, JsonElement>();
            try
            {
                var route = operation.Parameters.Select(name => Text(arguments, name) ?? (name == "workspace" ? DefaultWorkspace() : null)
                    ?? throw new CommandFailedException($"give '{name}'")).ToList();
                var query = operation.Query.Select(name => KeyValuePair.Create(name, Text(arguments, name))).ToList();
                string? body = null;
                if (operation.Body is not null)
                {
                    var fields = new JsonObject();
                    foreach (var (name, value) in arguments.Where(a => !operation.Parameters.Contains(a.Key) && !operation.Query.Contains(a.Key) && a.Key != ContractTool.IfMatch))
                    {
                        fields[name] = JsonNode.Parse(value.GetRawText());
                    }

                    body = fields.ToJsonString();
                }

                var reply = await cli.Api.CallWithJsonAsync(operation, route, query, body, Text(arguments, ContractTool.IfMatch), ct);
                return new CallToolResult { Content = [new TextContentBlock { Text = reply }] };
            }
            catch (CommandFailedException e)
            {
                return Failed(e.Message);
            }
        }

        private string? DefaultWorkspace()
        {
            try
            {
                return cli.Workspace;
            }
            catch (CommandFailedException)
            {
                return null;
            }
        }

        private static string? Text(IDictionary<string, JsonElement> arguments, string name) =>
            !arguments.TryGetValue(name, out var value) ? null
            : value.ValueKind == JsonValueKind.String ? value.GetString()
            : value.ValueKind is JsonValueKind.Null or JsonValueKind.Undefined ? null
            : value.GetRawText();

        private static CallToolResult Failed(string message) => new() { IsError = true, Content = [new TextContentBlock { Text = message }] };
    }
}

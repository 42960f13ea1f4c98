using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Konduktor.Core.Auth;
using Konduktor.Core.Contract;
using ModelContextProtocol.Protocol;

namespace Konduktor.Cli.Mcp;

/// <summary>An operation of the contract offered as an MCP tool: its arguments are the route's values, the query and the body's fields.</summary>
public sealed record ContractTool(Operation Operation, Tool Tool)
{
    /// <summary>The argument that carries <c>If-Match</c> for the operations that take it.</summary>
    public const string IfMatch = "ifMatch";
}

/// <summary>
/// The MCP tools are the contract's operations that people and agents use — tasks, sessions and their logs, projects,
/// questions, docs, agents, workspaces and their configuration — never the runner protocol. Each is listed only to the
/// kinds of caller the policy lets through, and the API applies the policy again to every call.
/// </summary>
public static class ContractTools
{
    /// <summary>Operations that are no tool: a long poll for the board, the host's counters, the contract itself.</summary>
    private static readonly HashSet<string> NotTools = [nameof(Operations.WaitForBoardChanges), nameof(Operations.GetStorageOperations), nameof(Operations.GetOpenApiDocument)];

    /// <param name="caller">Who the token belongs to (null: not known, every tool a person may use).</param>
    /// <param name="defaultWorkspace">With a default workspace the <c>workspace</c> argument may be left out.</param>
    public static IReadOnlyList<ContractTool> For(PrincipalKind? caller, bool defaultWorkspace) =>
        [.. Operations.All
            .Where(o => o is { Act: { } act, RawBody: null, RawReply: null } && act != Act.RunSessions && !NotTools.Contains(o.Name)
                && Policy.Allows(caller ?? PrincipalKind.User, act))
            .Select(o => new ContractTool(o, Describe(o, defaultWorkspace)))];

    /// <summary>The tool's name: the operation's in snake case (<c>CreateTask</c> is <c>create_task</c>).</summary>
    public static string NameOf(Operation operation)
    {
        var name = new StringBuilder();
        foreach (var c in operation.Name)
        {
            if (char.IsUpper(c) && name.Length > 0)
            {
                name.Append('_');
            }

            name.Append(char.ToLowerInvariant(c));
        }

        return name.ToString();
    }

    private static Tool Describe(Operation operation, bool defaultWorkspace)
    {
        var properties = new JsonObject();
        var required = new JsonArray();
        var definitions = new SortedDictionary<string, JsonNode>(StringComparer.Ordinal);
        foreach (var parameter in operation.Parameters)
        {
            properties[parameter] = new JsonObject { ["type"] = "string", ["description"] = Describe(parameter) };
            if (!(parameter == "workspace" && defaultWorkspace))
            {
                required.Add((JsonNode)parameter);
            }
        }

        foreach (var name in operation.Query)
        {
            properties[name] = new JsonObject { ["type"] = "string", ["description"] = $"Query: {name}" };
        }

        if (operation.TakesIfMatch)
        {
            properties[ContractTool.IfMatch] = new JsonObject { ["type"] = "string", ["description"] = "The `version` you read: the change is refused if someone changed it since" };
        }

        if (operation.Body is { } body && OpenApiDocument.Schema(body, definitions) is JsonObject { } reference
            && reference["$ref"]?.GetValue<string>() is { } pointer && definitions[pointer[(pointer.LastIndexOf('/') + 1)..]] is JsonObject { } schema)
        {
            foreach (var (name, property) in schema["properties"] as JsonObject ?? [])
            {
                properties[name] = Local(property!.DeepClone());
            }

            foreach (var name in schema["required"] as JsonArray ?? [])
            {
                required.Add((JsonNode?)name!.DeepClone());
            }
        }

        var input = new JsonObject { ["type"] = "object", ["properties"] = properties, ["required"] = required };
        if (definitions.Count > 0)
        {
            input["$defs"] = new JsonObject(definitions.Select(d => KeyValuePair.Create(d.Key, (JsonNode?)Local(d.Value.DeepClone()))));
        }

        var callers = string.Join(", ", Policy.KindsAllowed(operation.Act!.Value).Where(k => k != PrincipalKind.System).Select(k => k switch
        {
            PrincipalKind.User => "people",
            PrincipalKind.Session => "agents",
            _ => "runners",
        }));
        return new Tool
        {
            Name = NameOf(operation),
            Description = $"{operation.Summary} ({operation.Method.ToUpperInvariant()} /api/{operation.Route}; for {callers}). Replies with the API's JSON.",
            InputSchema = JsonElement.Parse(input.ToJsonString()),
            Annotations = new ToolAnnotations { ReadOnlyHint = operation.Method == "get", DestructiveHint = operation.Method == "delete" },
        };
    }

    private static string Describe(string parameter) => parameter switch
    {
        "workspace" => "The workspace's name or id (default: the one this konduktor is set to)",
        "task" or "session" or "project" or "question" => $"The {parameter}'s id: a unique prefix of 4 or more hex characters works",
        "doc" => "The doc's slug or id",
        "number" => "The phase's number, from 1",
        _ => $"The {parameter}",
    };

    /// <summary>The contract's references to its components, pointed at the tool schema's own <c>$defs</c>.</summary>
    private static JsonNode Local(JsonNode node)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (key, value) in obj.ToList())
                {
                    if (key == "$ref" && value?.GetValue<string>() is { } pointer)
                    {
                        obj[key] = pointer.Replace("#/components/schemas/", "#/$defs/", StringComparison.Ordinal);
                    }
                    else if (value is not null)
                    {
                        Local(value);
                    }
                }

                break;
            case JsonArray array:
                foreach (var item in array)
                {
                    if (item is not null)
                    {
                        Local(item);
                    }
                }

                break;
        }

        return node;
    }
}

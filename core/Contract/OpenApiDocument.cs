using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Schema;
using Konduktor.Core.Auth;
using Konduktor.Core.Json;

namespace Konduktor.Core.Contract;

/// <summary>
/// The API's OpenAPI 3.1 document, made from <see cref="Operations"/> and the wire records themselves (their JSON schema as
/// Konduktor's one set of JSON options writes them): routes, bodies, replies, problem+json failures, and who may call each
/// route from the one policy table. Served at <c>/api/openapi.json</c>, printed by <c>konduktor openapi</c>; the board's
/// API types are generated from it.
/// </summary>
public static class OpenApiDocument
{
    public const string Version = "3.1.0";

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, IndentSize = 2 };

    /// <summary>The API's version: every assembly of Konduktor carries the same one.</summary>
    public static readonly string ApiVersion = typeof(OpenApiDocument).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";

    /// <summary>The document as indented JSON (with a final newline), byte for byte the same for the same code.</summary>
    public static string Json() => Build().ToJsonString(Indented) + "\n";

    public static JsonObject Build()
    {
        var schemas = new SortedDictionary<string, JsonNode>(StringComparer.Ordinal);
        var paths = new SortedDictionary<string, JsonObject>(StringComparer.Ordinal);

        // Replies first: a record the API writes has every property that is not null (nulls are left out), so those are
        // required in its schema; a record only ever sent to the API requires what its C# requires.
        foreach (var operation in Operations.All.Where(o => o.RawReply is null))
        {
            Hoisted(operation.Reply, schemas, written: true);
        }

        foreach (var operation in Operations.All)
        {
            var path = "/" + string.Join('/', operation.Route.Split('/').Select(s => s.StartsWith('{') ? "{" + s.Trim('{', '}').Split(':')[0] + "}" : s));
            if (!paths.TryGetValue(path, out var item))
            {
                paths[path] = item = [];
            }

            item[operation.Method] = Describe(operation, schemas);
        }

        schemas["Problem"] = ProblemSchema();
        var components = new JsonObject
        {
            ["schemas"] = new JsonObject(schemas.Select(s => KeyValuePair.Create(s.Key, (JsonNode?)s.Value))),
            ["responses"] = new JsonObject(Failures.Select(f => KeyValuePair.Create(f.Key, (JsonNode?)new JsonObject
            {
                ["description"] = f.Value,
                ["content"] = new JsonObject { ["application/problem+json"] = new JsonObject { ["schema"] = Ref("Problem") } },
            }))),
            ["securitySchemes"] = new JsonObject
            {
                ["bearer"] = new JsonObject
                {
                    ["type"] = "http",
                    ["scheme"] = "bearer",
                    ["description"] = "A person's token (`up`'s local token, or an Entra ID access token), a runner's credential (kr_…) or an agent session's token (ks_…); the board sends `up`'s sign-in cookie instead.",
                },
            },
        };
        return new JsonObject
        {
            ["openapi"] = Version,
            ["info"] = new JsonObject
            {
                ["title"] = "Konduktor",
                ["version"] = ApiVersion,
                ["description"] = "Run Claude Code agents in the background against your repositories, and stay in charge through a board. Every route answers failures as RFC 9457 problem+json; `x-konduktor-callers` says which kinds of caller the policy lets through.",
            },
            ["servers"] = new JsonArray(new JsonObject { ["url"] = "/api" }),
            ["paths"] = new JsonObject(paths.Select(p => KeyValuePair.Create(p.Key, (JsonNode?)p.Value))),
            ["components"] = components,
        };
    }

    /// <summary>The JSON schema of a wire type as Konduktor's JSON options write it, the named records it holds as references.</summary>
    public static JsonNode Schema(Type type, IDictionary<string, JsonNode> schemas) => Hoisted(type, schemas, written: false);

    private static readonly SortedDictionary<string, string> Failures = new(StringComparer.Ordinal)
    {
        ["BadRequest"] = "The input is not valid: `detail` says what to fix, `field` which field.",
        ["Unauthorized"] = "No credential, or one that is not (or no longer) valid.",
        ["Forbidden"] = "The caller's kind may not do this (the policy), or it is outside the caller's workspace.",
        ["NotFound"] = "Nothing matches the id or name.",
        ["Conflict"] = "An ambiguous short id (`matches` lists the candidates), a state that refuses the change, a stale If-Match, or a budget reached.",
        ["TooLarge"] = "The body is over 8 MiB.",
        ["Unavailable"] = "Storage is unavailable right now; nothing was changed.",
    };

    private static JsonObject Describe(Operation operation, IDictionary<string, JsonNode> schemas)
    {
        var described = new JsonObject
        {
            ["operationId"] = operation.Name,
            ["summary"] = operation.Summary,
            ["x-konduktor-callers"] = new JsonArray([.. Callers(operation).Select(c => (JsonNode?)c)]),
        };
        if (operation.Act is { } act)
        {
            described["x-konduktor-act"] = JsonNamingPolicy.CamelCase.ConvertName(act.ToString());
            described["security"] = new JsonArray(new JsonObject { ["bearer"] = new JsonArray() });
        }
        else
        {
            described["security"] = new JsonArray();
        }

        if (Parameters(operation) is { Count: > 0 } parameters)
        {
            described["parameters"] = parameters;
        }

        if (operation.Body is { } body)
        {
            described["requestBody"] = new JsonObject { ["required"] = true, ["content"] = new JsonObject { ["application/json"] = new JsonObject { ["schema"] = Schema(body, schemas) } } };
        }
        else if (operation.RawBody is { } raw)
        {
            described["requestBody"] = new JsonObject { ["required"] = true, ["content"] = new JsonObject { [raw] = new JsonObject { ["schema"] = new JsonObject { ["type"] = "string" } } } };
        }

        described["responses"] = Responses(operation, schemas);
        return described;
    }

    /// <summary>The route's path parameters, then the query's, then If-Match where the operation takes it.</summary>
    private static JsonArray Parameters(Operation operation)
    {
        var parameters = new JsonArray();
        foreach (var name in operation.Parameters)
        {
            var integer = operation.Route.Contains("{" + name + ":int}", StringComparison.Ordinal);
            parameters.Add((JsonNode)new JsonObject { ["name"] = name, ["in"] = "path", ["required"] = true, ["schema"] = new JsonObject { ["type"] = integer ? "integer" : "string" } });
        }

        foreach (var name in operation.Query)
        {
            parameters.Add((JsonNode)new JsonObject { ["name"] = name, ["in"] = "query", ["required"] = false, ["schema"] = new JsonObject { ["type"] = "string" } });
        }

        if (operation.TakesIfMatch)
        {
            parameters.Add((JsonNode)new JsonObject { ["name"] = "If-Match", ["in"] = "header", ["required"] = false, ["description"] = "The `version` read: the change is refused (409) if it changed since.", ["schema"] = new JsonObject { ["type"] = "string" } });
        }

        return parameters;
    }

    /// <summary>The reply on success, and each failure the operation can meet (shared problem+json responses).</summary>
    private static JsonObject Responses(Operation operation, IDictionary<string, JsonNode> schemas)
    {
        var responses = new JsonObject
        {
            [operation.Status.ToString(System.Globalization.CultureInfo.InvariantCulture)] = new JsonObject
            {
                ["description"] = operation.Status == 201 ? "Created." : "Done.",
                ["content"] = operation.RawReply is { } rawReply
                    ? new JsonObject { [rawReply] = new JsonObject { ["schema"] = new JsonObject { ["type"] = "string" } } }
                    : new JsonObject { ["application/json"] = new JsonObject { ["schema"] = Schema(operation.Reply, schemas) } },
            },
        };
        foreach (var (status, name) in FailuresOf(operation))
        {
            responses[status] = new JsonObject { ["$ref"] = "#/components/responses/" + name };
        }

        return responses;
    }

    private static IEnumerable<string> Callers(Operation operation) => operation.Act is { } act
        ? Policy.KindsAllowed(act).Where(k => k != PrincipalKind.System).Select(k => k switch
        {
            PrincipalKind.User => "person",
            PrincipalKind.Session => "session",
            PrincipalKind.Runner => "runner",
            _ => JsonNamingPolicy.CamelCase.ConvertName(k.ToString()),
        })
        : ["anyone"];

    private static IEnumerable<(string Status, string Name)> FailuresOf(Operation operation)
    {
        if (operation.Body is not null || operation.Query.Count > 0 || operation.TakesIfMatch || operation.Parameters.Count > 0)
        {
            yield return ("400", "BadRequest");
        }

        yield return ("401", "Unauthorized");
        if (operation.Act is { } act && Policy.KindsAllowed(act).Count(k => k != PrincipalKind.System) < 3)
        {
            yield return ("403", "Forbidden");
        }

        if (operation.Parameters.Count > 0)
        {
            yield return ("404", "NotFound");
        }

        if (operation.Method != "get" || operation.Parameters.Count > 0)
        {
            yield return ("409", "Conflict");
        }

        if (operation.Body is not null || operation.RawBody is not null)
        {
            yield return ("413", "TooLarge");
        }

        yield return ("503", "Unavailable");
    }

    private static JsonObject Ref(string name) => new() { ["$ref"] = "#/components/schemas/" + name };

    /// <summary>
    /// The schema of <paramref name="type"/> with every Konduktor record and enum it holds moved into
    /// <c>components/schemas</c> under its own name (so the board's generated types have the records' names).
    /// </summary>
    private static JsonNode Hoisted(Type type, IDictionary<string, JsonNode> schemas, bool written)
    {
        var exported = KonduktorJson.Options.GetJsonSchemaAsNode(type, new JsonSchemaExporterOptions
        {
            TreatNullObliviousAsNonNullable = true,
            TransformSchemaNode = (context, node) =>
            {
                var nodeType = context.TypeInfo.Type;
                Tidy(node, context.TypeInfo, written);
                var enumType = Nullable.GetUnderlyingType(nodeType) ?? nodeType;
                if (enumType.IsEnum)
                {
                    node = EnumSchema(enumType);
                }

                if (!Named(enumType) || context.Path.IsEmpty)
                {
                    return node;
                }

                var name = enumType.Name;
                schemas.TryAdd(name, WithoutNull(node.DeepClone()));
                var reference = Ref(name);
                return nodeType != enumType || context.PropertyInfo is { IsGetNullable: true } && !enumType.IsValueType
                    ? new JsonObject { ["anyOf"] = new JsonArray(reference, new JsonObject { ["type"] = "null" }) }
                    : reference;
            },
        });
        if (!Named(type))
        {
            return exported;
        }

        schemas.TryAdd(type.Name, WithoutNull(exported));
        return Ref(type.Name);
    }

    /// <summary>
    /// Numbers as the API writes them (the web defaults also read them from strings, which is no part of the contract),
    /// and, for what the API writes, every property that is not null as required.
    /// </summary>
    private static void Tidy(JsonNode node, System.Text.Json.Serialization.Metadata.JsonTypeInfo type, bool written)
    {
        if (node is not JsonObject obj)
        {
            return;
        }

        if (obj["type"] is JsonArray types && types.Any(t => t?.GetValue<string>() is "integer" or "number") && types.Any(t => t?.GetValue<string>() == "string"))
        {
            var kept = types.Select(t => t!.GetValue<string>()).Where(t => t != "string").ToList();
            obj["type"] = kept.Count == 1 ? kept[0] : new JsonArray([.. kept.Select(t => (JsonNode?)t)]);
            obj.Remove("pattern");
        }

        if (obj["properties"] is not JsonObject properties)
        {
            return;
        }

        // What the API writes leaves nulls out: a property that may be null is optional and never null; every other is
        // always there. What is sent to it needs what its C# requires, less what may be null.
        var required = new SortedSet<string>((obj["required"] as JsonArray ?? []).Select(n => n!.GetValue<string>()), StringComparer.Ordinal);
        var nullable = type.Properties.Where(p => p.IsGetNullable).Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var (name, property) in properties.ToList())
        {
            if (written ? !nullable.Contains(name) : !MayBeNull(property))
            {
                if (written)
                {
                    required.Add(name);
                    properties[name] = WithoutNull(property!.DeepClone());
                }
            }
            else
            {
                required.Remove(name);
                if (written)
                {
                    properties[name] = WithoutNull(property!.DeepClone());
                }
            }
        }

        obj["required"] = new JsonArray([.. properties.Select(p => p.Key).Where(required.Contains).Select(n => (JsonNode?)n)]);
    }

    private static bool MayBeNull(JsonNode? property) => property switch
    {
        JsonObject { } p when p["type"] is JsonArray types => types.Any(t => t?.GetValue<string>() == "null"),
        JsonObject { } p when p["type"] is JsonValue type => type.GetValue<string>() == "null",
        JsonObject { } p when p["anyOf"] is JsonArray options => options.Any(MayBeNull),
        JsonObject { } p => p.Count == 0,
        _ => true,
    };

    /// <summary>A named schema is the type itself; where it may be null is said where it is used.</summary>
    private static JsonNode WithoutNull(JsonNode node)
    {
        if (node is JsonObject { } withOptions && withOptions["anyOf"] is JsonArray options && options.Count == 2 && options.SingleOrDefault(o => o is JsonObject n && n["type"] is JsonValue t && t.GetValue<string>() == "null") is { } nullOption)
        {
            return options.Single(o => o != nullOption)!.DeepClone();
        }

        if (node is JsonObject { } obj && obj["type"] is JsonArray types)
        {
            var kept = types.Select(t => t!.GetValue<string>()).Where(t => t != "null").ToList();
            obj["type"] = kept.Count == 1 ? kept[0] : new JsonArray([.. kept.Select(t => (JsonNode?)t)]);
        }

        return node;
    }

    /// <summary>Konduktor's own records and enums get a name in the document; collections, strings and numbers stay inline.</summary>
    private static bool Named(Type type) =>
        type.Namespace?.StartsWith("Konduktor.", StringComparison.Ordinal) == true && !type.IsGenericType && (type.IsEnum || type.IsClass || type.IsValueType && !type.IsPrimitive);

    private static JsonObject EnumSchema(Type enumType)
    {
        var names = new JsonArray();
        var info = KonduktorJson.Options.GetTypeInfo(enumType);
        foreach (var value in Enum.GetValuesAsUnderlyingType(enumType))
        {
            names.Add((JsonNode?)JsonValue.Create(JsonSerializer.Serialize(Enum.ToObject(enumType, value), info).Trim('"')));
        }

        return new JsonObject { ["type"] = "string", ["enum"] = names };
    }

    private static JsonObject ProblemSchema() => new()
    {
        ["type"] = "object",
        ["description"] = "RFC 9457 problem details: what went wrong in words a person can act on.",
        ["properties"] = new JsonObject
        {
            ["type"] = new JsonObject { ["type"] = "string" },
            ["title"] = new JsonObject { ["type"] = "string" },
            ["status"] = new JsonObject { ["type"] = "integer" },
            ["detail"] = new JsonObject { ["type"] = "string" },
            ["field"] = new JsonObject { ["type"] = "string", ["description"] = "The input field that is not valid." },
            ["matches"] = new JsonObject { ["type"] = "array", ["items"] = new JsonObject { ["type"] = "string" }, ["description"] = "The full ids an ambiguous short id matches." },
        },
        ["required"] = new JsonArray("title", "status", "detail"),
    };
}

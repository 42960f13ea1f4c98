using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace Konduktor.Core.Json;

/// <summary>
/// The one set of JSON options for the API, the CLI's --json output and stored JSON properties. What the CLI and the
/// runner exchange with the API is source-generated (<see cref="WireJsonContext"/>), so the native `konduktor` needs no
/// reflection; the host also reads and writes its own types by reflection.
/// </summary>
public static class KonduktorJson
{
    public static readonly JsonSerializerOptions Options = Create();

    public static JsonSerializerOptions Create()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web)
        {
            UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
            RespectNullableAnnotations = true,
            RespectRequiredConstructorParameters = true,
            DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
            AllowDuplicateProperties = false,
            TypeInfoResolver = Resolver(),
        };
        options.MakeReadOnly();
        return options;
    }

    public static string Serialize<T>(T value) => JsonSerializer.Serialize(value, Info<T>(Options));

    public static T? Deserialize<T>(string json) => JsonSerializer.Deserialize(json, Info<T>(Options));

    public static T? Deserialize<T>(ReadOnlySpan<byte> utf8Json) => JsonSerializer.Deserialize(utf8Json, Info<T>(Options));

    /// <summary>How <paramref name="options"/> reads and writes <typeparamref name="T"/> (the way to serialize that works in the native build).</summary>
    public static JsonTypeInfo<T> Info<T>(JsonSerializerOptions options) => (JsonTypeInfo<T>)options.GetTypeInfo(typeof(T));

    /// <summary>An enum's JSON name, as the API and the CLI show it.</summary>
    public static string Name<T>(T value)
        where T : struct, Enum => Serialize(value).Trim('"');

    /// <summary>
    /// Reflection where it is enabled (the host and the built CLI), else the generated context alone (the native
    /// `konduktor`). Reflection comes first because the two differ on one thing: an init-only property with an
    /// initializer that the JSON leaves out keeps its initializer by reflection but becomes default when generated
    /// (a runner registering without a capacity gets 2, not 0); what the API sends the CLI always has those properties.
    /// </summary>
    [UnconditionalSuppressMessage("Trimming", "IL2026", Justification = "Reflection is used only where it is enabled; the native CLI and runner use the generated context alone.")]
    [UnconditionalSuppressMessage("AOT", "IL3050", Justification = "As above.")]
    private static IJsonTypeInfoResolver Resolver() => JsonSerializer.IsReflectionEnabledByDefault
        ? JsonTypeInfoResolver.Combine(new DefaultJsonTypeInfoResolver(), WireJsonContext.Default)
        : WireJsonContext.Default;
}

/// <summary>How every enum Konduktor shows travels: by its camelCase name (or its <see cref="JsonStringEnumMemberNameAttribute"/>), never a number.</summary>
public sealed class JsonEnumName<T>() : JsonStringEnumConverter<T>(JsonNamingPolicy.CamelCase, allowIntegerValues: false)
    where T : struct, Enum;

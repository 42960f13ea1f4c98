using Konduktor.Core.Auth;

namespace Konduktor.Core.Contract;

/// <summary>
/// One route of the API as every side knows it: the function that serves it (same name), the clients that call it, and
/// the OpenAPI document made from the catalog (<see cref="Operations"/>). The body and reply are type parameters of
/// <see cref="Operation{TReply}"/> and <see cref="Operation{TBody, TReply}"/>, so a function's code and a client's call
/// cannot disagree with the contract without failing to compile.
/// </summary>
public abstract class Operation(string name, string method, string route)
{
    /// <summary>The function's name (<c>[Function("…")]</c>) and the OpenAPI operation id.</summary>
    public string Name { get; } = name;

    /// <summary>Lower case, as the function's trigger declares it.</summary>
    public string Method { get; } = method;

    /// <summary>The route under <c>/api/</c>, with <c>{parameters}</c> as the trigger declares them.</summary>
    public string Route { get; } = route;

    /// <summary>What the route does, for the one policy; null where the caller proves itself another way (a signature, a one-time secret).</summary>
    public Act? Act { get; init; }

    /// <summary>What it does in a few words (the OpenAPI summary): its name in words unless said otherwise.</summary>
    public string Summary
    {
        get => field ?? Words(Name);
        init;
    }

    public abstract Type? Body { get; }

    public abstract Type Reply { get; }

    /// <summary>The status of a successful reply.</summary>
    public int Status { get; init; } = 200;

    /// <summary>The query parameters it reads.</summary>
    public IReadOnlyList<string> Query { get; init; } = [];

    /// <summary>It takes <c>If-Match</c>: the change is refused (409) if the entity changed since that version.</summary>
    public bool TakesIfMatch { get; init; }

    /// <summary>A body that is not JSON (a transcript): its content type.</summary>
    public string? RawBody { get; init; }

    /// <summary>A reply that is not JSON (a transcript): its content type.</summary>
    public string? RawReply { get; init; }

    private static string Words(string name)
    {
        var words = System.Text.RegularExpressions.Regex.Replace(name, "(?<=[a-z])(?=[A-Z])", " ").ToLowerInvariant();
        return char.ToUpperInvariant(words[0]) + words[1..];
    }

    /// <summary>The route's parameter names, in order.</summary>
    public IReadOnlyList<string> Parameters => [.. Route.Split('/').Where(s => s.StartsWith('{')).Select(s => s.Trim('{', '}').Split(':')[0])];

    /// <summary>The path under <c>/api/</c> with these values for the route's parameters, in order (each escaped), and a query string.</summary>
    public string Path(params ReadOnlySpan<string> values) => Path(values, []);

    public string Path(ReadOnlySpan<string> values, IEnumerable<KeyValuePair<string, string?>> query)
    {
        var segments = Route.Split('/');
        var next = 0;
        for (var i = 0; i < segments.Length; i++)
        {
            if (segments[i].StartsWith('{'))
            {
                if (next >= values.Length)
                {
                    throw new ArgumentException($"{Name} needs {Parameters.Count} route values", nameof(values));
                }

                segments[i] = Uri.EscapeDataString(values[next++]);
            }
        }

        if (next != values.Length)
        {
            throw new ArgumentException($"{Name} needs {Parameters.Count} route values, not {values.Length}", nameof(values));
        }

        var pairs = query.Where(p => p.Value is not null).Select(p => $"{Uri.EscapeDataString(p.Key)}={Uri.EscapeDataString(p.Value!)}").ToList();
        return string.Join('/', segments) + (pairs.Count == 0 ? "" : "?" + string.Join('&', pairs));
    }
}

/// <summary>A route that takes no JSON body and replies with <typeparamref name="TReply"/>.</summary>
public sealed class Operation<TReply>(string name, string method, string route) : Operation(name, method, route)
{
    public override Type? Body => null;

    public override Type Reply => typeof(TReply);
}

/// <summary>A route that takes a <typeparamref name="TBody"/> and replies with <typeparamref name="TReply"/>.</summary>
public sealed class Operation<TBody, TReply>(string name, string method, string route) : Operation(name, method, route)
{
    public override Type? Body => typeof(TBody);

    public override Type Reply => typeof(TReply);
}

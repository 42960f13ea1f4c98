using Azure.Data.Tables;
using Konduktor.Core.Results;

namespace Konduktor.Core.Storage;

/// <summary>Resolves a short id with one RowKey range query inside a partition.</summary>
public static class PrefixLookup
{
    private const int MaxListed = 10;

    public static async Task<Result<T>> FindAsync<T>(TableClient table, string partition, string reference, string noun, Func<T, string> describe, CancellationToken ct)
        where T : class, ITableEntity, new()
    {
        if (!ShortId.Parse(reference, noun).TryGet(out var prefix, out var failure))
        {
            return failure;
        }

        var upper = ShortId.UpperBound(prefix);
        var matches = new List<T>();
        var query = table.QueryAsync<T>(
            TableClient.CreateQueryFilter($"PartitionKey eq {partition} and RowKey ge {prefix} and RowKey lt {upper}"),
            maxPerPage: MaxListed,
            cancellationToken: ct);
        await foreach (var entity in query)
        {
            matches.Add(entity);
            if (matches.Count == MaxListed)
            {
                break;
            }
        }

        return matches.Count switch
        {
            0 => new NotFound($"no {noun} matches '{prefix}'"),
            1 => matches[0],
            _ => new Ambiguous(
                $"'{prefix}' matches more than one {noun}: {string.Join(", ", matches.Select(describe))}; give more characters of the id",
                matches.Select(m => m.RowKey).ToList()),
        };
    }
}

using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Octokit.Caching;
using Octokit.Internal;

namespace Konduktor.Core.GitHub;

/// <summary>
/// Octokit's response cache for Konduktor's GitHub client: every GET that came with an ETag is kept, so the next one
/// goes out with <c>If-None-Match</c> and a 304 (which GitHub does not count against the rate limit) is answered from
/// here. Keyed by the request and the token it was made with, so one workspace never sees another's answers. Bounded:
/// past its size it starts over, which only costs full answers.
/// </summary>
public sealed class GitHubResponseCache : IResponseCache
{
    private const int MaxEntries = 20_000;
    private readonly ConcurrentDictionary<string, CachedResponse.V1> _entries = new();

    public Task<CachedResponse.V1> GetAsync(IRequest request) =>
        Task.FromResult(_entries.TryGetValue(Key(request), out var cached) ? cached : null!);

    public Task SetAsync(IRequest request, CachedResponse.V1 cachedResponse)
    {
        if (_entries.Count >= MaxEntries)
        {
            _entries.Clear();
        }

        _entries[Key(request)] = cachedResponse;
        return Task.CompletedTask;
    }

    private static string Key(IRequest request)
    {
        var query = string.Join('&', (request.Parameters ?? new Dictionary<string, string>()).OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}={p.Value}"));
        var credential = request.Headers.TryGetValue("Authorization", out var authorization) ? Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(authorization)))[..16] : "-";
        return $"{request.Method} {request.BaseAddress}{request.Endpoint}?{query} {credential}";
    }
}

using System.Collections.Concurrent;
using Azure.Security.KeyVault.Secrets;

namespace Konduktor.Core.Storage;

/// <summary>
/// Where workspaces' secrets (webhook secrets, GitHub tokens) are kept. In Azure (<c>Konduktor:KeyVaultUri</c> set)
/// they go to Key Vault, read with the app's identity, and the workspace row holds only a <c>kv:NAME</c> reference;
/// under <c>konduktor up</c> they stay in the workspace row, in the user's own Azurite. Either way they are never shown.
/// </summary>
public sealed class SecretVault(SecretClient? keyVault, TimeProvider clock)
{
    private const string Reference = "kv:";
    private static readonly TimeSpan Remembered = TimeSpan.FromMinutes(1);
    private readonly ConcurrentDictionary<string, (string Value, DateTimeOffset Until)> _recent = new();

    public bool UsesKeyVault => keyVault is not null;

    /// <summary>Keeps <paramref name="value"/> under <paramref name="name"/>; returns what the entity stores.</summary>
    public async Task<string> KeepAsync(string name, string value, CancellationToken ct)
    {
        if (keyVault is null)
        {
            return value;
        }

        await keyVault.SetSecretAsync(name, value, ct);
        _recent[name] = (value, clock.GetUtcNow() + Remembered);
        return Reference + name;
    }

    /// <summary>The secret an entity's field stands for (a <c>kv:</c> reference is read from Key Vault, remembered a minute).</summary>
    public async Task<string?> ReadAsync(string? stored, CancellationToken ct)
    {
        if (stored is null || !stored.StartsWith(Reference, StringComparison.Ordinal))
        {
            return stored;
        }

        var name = stored[Reference.Length..];
        if (_recent.TryGetValue(name, out var remembered) && remembered.Until > clock.GetUtcNow())
        {
            return remembered.Value;
        }

        var client = keyVault ?? throw new InvalidOperationException($"secret {name} is in Key Vault, but no Konduktor:KeyVaultUri is configured");
        var value = (await client.GetSecretAsync(name, cancellationToken: ct)).Value.Value;
        _recent[name] = (value, clock.GetUtcNow() + Remembered);
        return value;
    }

    /// <summary>Removes the secret an entity's field stands for (Key Vault keeps it soft-deleted for its retention period).</summary>
    public Task ForgetAsync(string? stored, CancellationToken ct) =>
        stored is not null && stored.StartsWith(Reference, StringComparison.Ordinal) ? ForgetNamedAsync(stored[Reference.Length..], ct) : Task.CompletedTask;

    /// <summary>Removes the secret kept under <paramref name="name"/>, if Key Vault keeps any (a row inline keeps its own).</summary>
    public async Task ForgetNamedAsync(string name, CancellationToken ct)
    {
        if (keyVault is null)
        {
            return;
        }

        _recent.TryRemove(name, out _);
        try
        {
            await keyVault.StartDeleteSecretAsync(name, ct);
        }
        catch (Azure.RequestFailedException e) when (e.Status == 404)
        {
            // Never kept (e.g. no GitHub token was set).
        }
    }
}

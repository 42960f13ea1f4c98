using Konduktor.Core.Storage;

namespace Konduktor.Tests.Storage;

/// <summary>Where secrets live: in the workspace row locally; a Key Vault reference (never the value) in Azure.</summary>
public sealed class SecretVaultTests
{
    [Fact]
    public async Task Without_a_key_vault_a_secret_is_kept_in_place_and_a_key_vault_reference_cannot_be_read()
    {
        var vault = new SecretVault(null, TimeProvider.System);

        var kept = await vault.KeepAsync("ws-1-github", "ghp_secret", CancellationToken.None);
        var read = await vault.ReadAsync(kept, CancellationToken.None);
        var missing = await Assert.ThrowsAsync<InvalidOperationException>(() => vault.ReadAsync("kv:ws-1-github", CancellationToken.None));

        Assert.False(vault.UsesKeyVault);
        Assert.Equal("ghp_secret", kept);
        Assert.Equal("ghp_secret", read);
        Assert.Null(await vault.ReadAsync(null, CancellationToken.None));
        Assert.Contains("Konduktor:KeyVaultUri", missing.Message, StringComparison.Ordinal);
    }
}

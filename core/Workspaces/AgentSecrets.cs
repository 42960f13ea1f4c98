using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using Azure;
using Azure.Data.Tables;
using Konduktor.Core.Auth;
using Konduktor.Core.Results;
using Konduktor.Core.Sessions;
using Konduktor.Core.Storage;
using Microsoft.Extensions.Logging;

namespace Konduktor.Core.Workspaces;

/// <summary>A secret for a workspace's agents as it is listed: its name and when it was set, never its value.</summary>
public sealed record SecretInfo(string Name, DateTimeOffset SetAt, string SetBy);

/// <summary>The body that sets a secret (never a command-line argument: the CLI reads it from stdin).</summary>
public sealed record SecretValue(string Value);

/// <summary>
/// Secrets for a workspace's agents (an npm token, a test database's password): set, listed and deleted by people only
/// (<see cref="Act.Configure"/>), kept like the workspace's other secrets (Key Vault on Azure, the user's own Azurite
/// under <c>up</c>), given to the runner that claims a session as environment variables for the setup script and the
/// agent, and masked as <c>***</c> in everything the API returns for the workspace and every log line a runner ships.
/// </summary>
public sealed partial class AgentSecrets(StorageClients storage, WorkspaceService workspaces, SecretVault vault, TimeProvider clock, ILogger<AgentSecrets> logger)
{
    public const int MaxSecrets = 100;
    public const int MaxValueLength = 30_000;
    private static readonly TimeSpan MaskKept = TimeSpan.FromSeconds(30);
    private static readonly string[] Reserved = ["PATH", "HOME", "USER", "SHELL", "IS_SANDBOX"];
    private readonly ConcurrentDictionary<string, (SecretMask Mask, DateTimeOffset Until)> _masks = new(StringComparer.OrdinalIgnoreCase);

    public async Task<Result<SecretInfo>> SetAsync(Principal caller, string workspaceRef, string name, SecretValue input, CancellationToken ct)
    {
        if (!ValidName(name).TryGet(out var valid, out var failure) || !ValidValue(input.Value).TryGet(out var value, out failure)
            || !(await workspaces.ResolveAsync(caller, workspaceRef, ct)).TryGet(out var workspace, out failure))
        {
            return failure;
        }

        var table = await storage.Table(TableNames.AgentSecrets);
        var partition = ShortId.Format(workspace.Id);
        var existing = await table.GetEntityIfExistsAsync<AgentSecretEntity>(partition, valid, cancellationToken: ct);
        if (!existing.HasValue && await CountAsync(table, partition, ct) >= MaxSecrets)
        {
            return new Invalid($"workspace {workspace.Name} has {MaxSecrets} secrets, the most it may have; delete one first", "name");
        }

        var entity = new AgentSecretEntity
        {
            PartitionKey = partition,
            RowKey = valid,
            Value = await vault.KeepAsync(VaultName(workspace.Id, valid), value, ct),
            SetAt = clock.GetUtcNow(),
            SetBy = caller.Name,
        };
        await table.UpsertEntityAsync(entity, TableUpdateMode.Replace, ct);
        _masks.Clear();
        logger.LogInformation("Secret {Name} of workspace {Workspace} set by {Principal}", valid, workspace.Name, caller.Name);
        return entity.ToInfo();
    }

    public async Task<Result<IReadOnlyList<SecretInfo>>> ListAsync(Principal caller, string workspaceRef, CancellationToken ct)
    {
        if (!(await workspaces.ResolveAsync(caller, workspaceRef, ct)).TryGet(out var workspace, out var failure))
        {
            return failure;
        }

        var table = await storage.Table(TableNames.AgentSecrets);
        var found = new List<SecretInfo>();
        await foreach (var entity in table.QueryAsync<AgentSecretEntity>(e => e.PartitionKey == ShortId.Format(workspace.Id), select: ["PartitionKey", "RowKey", "SetAt", "SetBy"], cancellationToken: ct))
        {
            found.Add(entity.ToInfo());
        }

        return found;
    }

    public async Task<Result<SecretInfo>> DeleteAsync(Principal caller, string workspaceRef, string name, CancellationToken ct)
    {
        if (!(await workspaces.ResolveAsync(caller, workspaceRef, ct)).TryGet(out var workspace, out var failure))
        {
            return failure;
        }

        var table = await storage.Table(TableNames.AgentSecrets);
        var existing = await table.GetEntityIfExistsAsync<AgentSecretEntity>(ShortId.Format(workspace.Id), name, cancellationToken: ct);
        if (!existing.HasValue)
        {
            return new NotFound($"workspace {workspace.Name} has no secret {name}; `konduktor secrets list` shows its secrets");
        }

        await table.DeleteEntityAsync(existing.Value!.PartitionKey, existing.Value.RowKey, ETag.All, ct);
        await vault.ForgetAsync(existing.Value.Value, ct);
        _masks.Clear();
        logger.LogInformation("Secret {Name} of workspace {Workspace} deleted by {Principal}", name, workspace.Name, caller.Name);
        return existing.Value.ToInfo();
    }

    /// <summary>Every secret's value, for the runner that claimed one of the workspace's sessions.</summary>
    public async Task<IReadOnlyDictionary<string, string>> ValuesAsync(Guid workspaceId, CancellationToken ct)
    {
        var table = await storage.Table(TableNames.AgentSecrets);
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        await foreach (var entity in table.QueryAsync<AgentSecretEntity>(e => e.PartitionKey == ShortId.Format(workspaceId), cancellationToken: ct))
        {
            values[entity.RowKey] = await vault.ReadAsync(entity.Value, ct) ?? "";
        }

        return values;
    }

    /// <summary>What hides the workspace's secrets in what the API returns (kept half a minute; a change forgets it at once).</summary>
    public async Task<SecretMask> MaskAsync(string workspaceRef, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        if (_masks.TryGetValue(workspaceRef, out var kept) && kept.Until > now)
        {
            return kept.Mask;
        }

        var mask = (await workspaces.ResolveAsync(Principal.Konduktor("masking secrets"), workspaceRef, ct)).TryGet(out var workspace, out _)
            ? new SecretMask((await ValuesAsync(workspace.Id, ct)).Values)
            : SecretMask.None;
        _masks[workspaceRef] = (mask, now + MaskKept);
        return mask;
    }

    /// <summary>Removes every secret of a workspace being deleted (its masks expire with their half minute).</summary>
    internal static async Task ForgetAllAsync(StorageClients storage, SecretVault vault, Guid workspaceId, CancellationToken ct)
    {
        var table = await storage.Table(TableNames.AgentSecrets);
        await foreach (var entity in table.QueryAsync<AgentSecretEntity>(e => e.PartitionKey == ShortId.Format(workspaceId), cancellationToken: ct))
        {
            await table.DeleteEntityAsync(entity.PartitionKey, entity.RowKey, ETag.All, ct);
            await vault.ForgetAsync(entity.Value, ct);
        }
    }

    public static Result<string> ValidName(string name) =>
        !SecretName().IsMatch(name) ? new Invalid($"'{name}' is not a secret name: upper-case letters, digits and _, starting with a letter or _, at most 64 characters (e.g. NPM_TOKEN)", "name")
            : name.StartsWith("KONDUKTOR_", StringComparison.Ordinal) || Reserved.Contains(name) ? new Invalid($"{name} is Konduktor's or the system's own; choose another name", "name")
            : name;

    private static Result<string> ValidValue(string? value) =>
        value is null || value.Length < SecretMask.ShortestMasked ? new Invalid($"a secret's value is at least {SecretMask.ShortestMasked} characters (shorter ones could not be masked in logs)", "value")
            : value.Length > MaxValueLength ? new TooLarge($"the value is {value.Length:N0} characters; the limit is {MaxValueLength:N0}")
            : value.Contains('\0', StringComparison.Ordinal) ? new Invalid("a secret's value cannot contain a NUL character", "value")
            : value;

    private static async Task<int> CountAsync(TableClient table, string partition, CancellationToken ct)
    {
        var count = 0;
        await foreach (var _ in table.QueryAsync<AgentSecretEntity>(e => e.PartitionKey == partition, select: ["RowKey"], cancellationToken: ct))
        {
            count++;
        }

        return count;
    }

    private static string VaultName(Guid workspaceId, string name) => $"ws-{workspaceId:N}-env-{name.Replace('_', '-')}";

    [GeneratedRegex("^[A-Z_][A-Z0-9_]{0,63}$")]
    private static partial Regex SecretName();
}

/// <summary>PartitionKey = the workspace's id, RowKey = the secret's name; the value inline (<c>up</c>) or a Key Vault reference.</summary>
internal sealed class AgentSecretEntity : ITableEntity
{
    public string PartitionKey { get; set; } = "";

    public string RowKey { get; set; } = "";

    public DateTimeOffset? Timestamp { get; set; }

    public ETag ETag { get; set; }

    public string? Value { get; set; }

    public DateTimeOffset SetAt { get; set; }

    public string SetBy { get; set; } = "";

    public SecretInfo ToInfo() => new(RowKey, SetAt, SetBy);
}

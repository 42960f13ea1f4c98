using System.Text.RegularExpressions;
using Azure;
using Azure.Data.Tables;
using Konduktor.Core.Storage;
using Microsoft.Extensions.Logging;

namespace Konduktor.Core.Quota;

/// <summary>An account's usage limit in force: rejected (its runners start nothing) or a warning, until when.</summary>
public sealed record AccountLimit(string Account, string Status, DateTimeOffset Until, DateTimeOffset SeenAt, string? Window = null)
{
    public bool IsRejected => Status == UsageLimit.Rejected;
}

/// <summary>
/// The usage limits of the Claude accounts runners use, as their sessions met them (one row per account). Every
/// runner using a rejected account learns it from its next heartbeat and starts nothing until the reset. Read often
/// (each heartbeat, claim and notice), written when a limit changes: the rows are remembered for a few seconds.
/// </summary>
public sealed partial class AccountLimits(StorageClients storage, QuotaOptions options, TimeProvider clock, ILogger<AccountLimits> logger)
{
    private const string Partition = "account";
    private static readonly TimeSpan Memory = TimeSpan.FromSeconds(5);
    private Remembered? _remembered;

    /// <summary>A reference, so a reader never sees one read's time with another's rows.</summary>
    private sealed record Remembered(long At, IReadOnlyList<AccountLimit> Limits);

    /// <summary>An account label: what a runner says it uses, never a secret (an email address, a team's name).</summary>
    public static bool IsLabel(string? account) => account is { Length: > 0 and <= 100 } && Label().IsMatch(account);

    /// <summary>Notes what a session met: a rejection or warning is kept until its reset; an allowed run lifts what was kept.</summary>
    public async Task RecordAsync(string? account, UsageLimit limit, CancellationToken ct)
    {
        if (!IsLabel(account))
        {
            return;
        }

        var now = clock.GetUtcNow();
        var current = (await CurrentAsync(ct)).FirstOrDefault(l => Same(l.Account, account!));
        var table = await storage.Table(TableNames.AccountLimits);
        if (!limit.IsRejected && !limit.IsWarning)
        {
            if (current is not null)
            {
                await table.DeleteEntityAsync(Partition, account!.ToLowerInvariant(), ETag.All, ct);
                logger.LogInformation("Account {Account}: usage allowed again", account);
                _remembered = null;
            }

            return;
        }

        var until = limit.IsRejected || limit.ResetsAt is not null ? options.ResetOf(limit, now) : now + options.FallbackWait;
        // A warning does not lift a rejection still in force; the same news again is not written again.
        if (current is not null && ((current.IsRejected && !limit.IsRejected) || (current.Status == limit.Status && current.Until == until)))
        {
            return;
        }

        await table.UpsertEntityAsync(new AccountLimitEntity
        {
            RowKey = account!.ToLowerInvariant(), Account = account, Status = limit.Status, Window = limit.Window, Until = until, SeenAt = now,
        }, TableUpdateMode.Replace, ct);
        _remembered = null;
        logger.LogWarning("Account {Account}: usage limit {Status} ({Window}) until {Until:u}", account, limit.Status, limit.Window, until);
    }

    /// <summary>The limits in force now, every account's.</summary>
    public async Task<IReadOnlyList<AccountLimit>> CurrentAsync(CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var remembered = _remembered;
        if (remembered is null || Environment.TickCount64 - remembered.At > Memory.TotalMilliseconds)
        {
            var table = await storage.Table(TableNames.AccountLimits);
            var limits = new List<AccountLimit>();
            await foreach (var row in table.QueryAsync<AccountLimitEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {Partition}"), cancellationToken: ct))
            {
                limits.Add(new AccountLimit(row.Account, row.Status, row.Until, row.SeenAt, row.Window));
            }

            _remembered = remembered = new Remembered(Environment.TickCount64, limits);
        }

        return remembered.Limits.Where(l => l.Until > now).ToList();
    }

    /// <summary>The rejection in force for this account, if there is one.</summary>
    public async Task<AccountLimit?> RejectionOfAsync(string? account, CancellationToken ct) =>
        account is null ? null : (await CurrentAsync(ct)).FirstOrDefault(l => l.IsRejected && Same(l.Account, account));

    private static bool Same(string a, string b) => string.Equals(a, b, StringComparison.OrdinalIgnoreCase);

    /// <summary>Printable, and nothing a table key refuses.</summary>
    [GeneratedRegex(@"^[^/\\#?\p{C}]+$")]
    private static partial Regex Label();
}

internal sealed class AccountLimitEntity : ITableEntity
{
    public string PartitionKey { get; set; } = "account";

    public string RowKey { get; set; } = "";

    public DateTimeOffset? Timestamp { get; set; }

    public ETag ETag { get; set; }

    public string Account { get; set; } = "";

    public string Status { get; set; } = "";

    public string? Window { get; set; }

    public DateTimeOffset Until { get; set; }

    public DateTimeOffset SeenAt { get; set; }
}

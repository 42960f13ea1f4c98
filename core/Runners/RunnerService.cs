using System.Text.Json;
using Azure.Data.Tables;
using Konduktor.Core.Auth;
using Konduktor.Core.Quota;
using Konduktor.Core.Results;
using Konduktor.Core.Sessions;
using Konduktor.Core.Storage;
using Microsoft.Extensions.Logging;

namespace Konduktor.Core.Runners;

/// <summary>Runner registration, credentials and heartbeats.</summary>
public sealed class RunnerService(StorageClients storage, SessionJobs queue, ActiveSessions active, Quota.AccountLimits limits, JanitorOptions janitor, TimeProvider clock, IIdGenerator ids, ILogger<RunnerService> logger)
{
    public const int HeartbeatSeconds = 15;
    public const int MaxCapacity = 64;
    private static readonly TimeSpan QueueUrlLifetime = TimeSpan.FromHours(24);
    private static readonly TimeSpan QueueUrlRefreshBefore = TimeSpan.FromHours(2);
    private static readonly TimeSpan OnlineWindow = TimeSpan.FromSeconds(HeartbeatSeconds * 3);
    private static readonly TimeSpan CredentialMemory = TimeSpan.FromMinutes(1);
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, (Principal Runner, DateTimeOffset Until)> _recent = new();

    private static readonly TimeSpan TicketLifetime = TimeSpan.FromHours(24);

    /// <summary>Registers a runner, or re-registers the one with that name (its old credential stops working).</summary>
    public Task<Result<RunnerRegistration>> RegisterAsync(Principal caller, RegisterRunner input, CancellationToken ct) => IssueAsync(caller.Name, input, ct);

    /// <summary>An admin prepares a runner's registration: a one-time secret (valid 24 hours) the runner trades for its credential.</summary>
    public async Task<Result<RunnerTicket>> AddAsync(Principal caller, NewRunnerTicket input, CancellationToken ct)
    {
        var name = input.Name.Trim();
        if (!Workspaces.WorkspaceRules.NamePattern().IsMatch(name))
        {
            return new Invalid($"'{ShortId.Shorten(name)}' is not a runner name: use 1-100 letters, digits, '.', '_' or '-'", "name");
        }

        var secret = Secrets.NewRegistrationSecret();
        var expiresAt = clock.GetUtcNow() + TicketLifetime;
        var table = await storage.Table(TableNames.Runners);
        await table.UpsertEntityAsync(new RunnerTicketEntity { RowKey = name.ToLowerInvariant(), SecretHash = Secrets.Hash(secret), ExpiresAt = expiresAt, CreatedBy = caller.Name }, TableUpdateMode.Replace, ct);
        logger.LogInformation("Runner registration for {RunnerName} added by {Principal}, valid until {ExpiresAt}", name, caller.Name, expiresAt);
        return new RunnerTicket(name, secret, expiresAt);
    }

    /// <summary>A runner trades its one-time secret for its own credential (stored hashed); the secret is spent.</summary>
    public async Task<Result<RunnerRegistration>> ExchangeAsync(string secret, RegisterRunner runner, CancellationToken ct)
    {
        var table = await storage.Table(TableNames.Runners);
        var name = runner.Name.Trim().ToLowerInvariant();
        var found = name.Length == 0 || name.Length > 100 ? default : await table.GetEntityIfExistsAsync<RunnerTicketEntity>(RunnerTicketEntity.Partition, name, cancellationToken: ct);
        if (found is not { HasValue: true, Value: { } ticket } || !Secrets.Matches(secret, ticket.SecretHash) || ticket.ExpiresAt < clock.GetUtcNow())
        {
            return new Unauthorized($"this registration secret is not valid for a runner named {ShortId.Shorten(runner.Name)} (used already, expired, or for another name); ask an admin for a new one: `konduktor runners add NAME`");
        }

        try
        {
            await table.DeleteEntityAsync(ticket.PartitionKey, ticket.RowKey, ticket.ETag, ct);
        }
        catch (Azure.RequestFailedException e) when (e.Status is 404 or 412)
        {
            return new Unauthorized("this registration secret was just used by another runner");
        }

        return await IssueAsync($"registration ({ticket.CreatedBy})", runner, ct);
    }

    /// <summary>Revokes a runner: its credential stops working at once (its next call gets 401).</summary>
    public async Task<Result<RunnerInfo>> RemoveAsync(Principal caller, string name, CancellationToken ct)
    {
        var table = await storage.Table(TableNames.Runners);
        RunnerEntity? runner = null;
        await foreach (var row in table.QueryAsync<RunnerEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {RunnerEntity.Partition} and Name eq {name.Trim()}"), cancellationToken: ct))
        {
            runner = row;
        }

        if (runner is null)
        {
            return new NotFound($"no runner is named {ShortId.Shorten(name)}: `konduktor runners list`");
        }

        await table.DeleteEntityAsync(runner.PartitionKey, runner.RowKey, Azure.ETag.All, ct);
        Forget(runner.Id);
        logger.LogInformation("Runner {RunnerName} ({RunnerId}) removed by {Principal}", runner.Name, runner.Id, caller.Name);
        return runner.ToInfo(clock.GetUtcNow(), OnlineWindow);
    }

    private void Forget(Guid runnerId)
    {
        foreach (var stale in _recent.Where(r => r.Value.Runner.Id == runnerId).Select(r => r.Key).ToList())
        {
            _recent.TryRemove(stale, out _);
        }
    }

    private async Task<Result<RunnerRegistration>> IssueAsync(string registeredBy, RegisterRunner input, CancellationToken ct)
    {
        var name = input.Name.Trim();
        if (!Workspaces.WorkspaceRules.NamePattern().IsMatch(name))
        {
            return new Invalid($"'{ShortId.Shorten(name)}' is not a runner name: use 1-100 letters, digits, '.', '_' or '-'", "name");
        }

        if (input.Capacity is < 1 or > MaxCapacity)
        {
            return new Invalid($"capacity must be between 1 and {MaxCapacity}", "capacity");
        }

        if ((TooLong(input.Agent, input.AgentProblem, null) ?? BadAccount(input.Account)) is { } tooLong)
        {
            return tooLong;
        }

        var table = await storage.Table(TableNames.Runners);
        RunnerEntity? existing = null;
        await foreach (var row in table.QueryAsync<RunnerEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {RunnerEntity.Partition} and Name eq {name}"), cancellationToken: ct))
        {
            existing = row;
        }

        var now = clock.GetUtcNow();
        var id = existing?.Id ?? ids.NewId();
        var token = Secrets.NewRunnerToken(id);
        var entity = existing ?? new RunnerEntity { RowKey = ShortId.Format(id), RegisteredAt = now };
        entity.Name = name;
        entity.Host = input.Host;
        entity.Version = input.Version;
        entity.Capacity = input.Capacity;
        entity.Agent = input.Agent;
        entity.AgentProblem = input.AgentProblem;
        entity.Account = input.Account;
        entity.TokenHash = Secrets.Hash(token);
        Forget(id);

        entity.LastHeartbeatAt = now;
        entity.ActiveSessions = "[]";
        await table.UpsertEntityAsync(entity, TableUpdateMode.Replace, ct);

        var (url, expiresAt) = await queue.RunnerAccessAsync(QueueUrlLifetime);
        logger.LogInformation("Runner {RunnerName} ({RunnerId}) registered by {Principal} with capacity {Capacity}", name, id, registeredBy, input.Capacity);
        return new RunnerRegistration(id, name, token, HeartbeatSeconds, url, expiresAt, (int)janitor.OrphanAfter.TotalSeconds);
    }

    public async Task<Result<HeartbeatReply>> HeartbeatAsync(Principal caller, Guid runnerId, RunnerHeartbeat beat, CancellationToken ct)
    {
        if (caller.Id != runnerId)
        {
            return new Forbidden("only the runner itself can report its heartbeat");
        }

        if (beat.Capacity is < 1 or > MaxCapacity)
        {
            return new Invalid($"capacity must be between 1 and {MaxCapacity}", "capacity");
        }

        if ((TooLong(beat.Agent, beat.AgentProblem, beat.Note) ?? BadAccount(beat.Account)) is { } tooLong)
        {
            return tooLong;
        }

        var now = clock.GetUtcNow();
        var table = await storage.Table(TableNames.Runners);
        var entity = new TableEntity(RunnerEntity.Partition, ShortId.Format(runnerId))
        {
            [nameof(RunnerEntity.LastHeartbeatAt)] = now,
            [nameof(RunnerEntity.ActiveSessions)] = JsonSerializer.Serialize(beat.ActiveSessions),
            [nameof(RunnerEntity.Capacity)] = beat.Capacity,
            [nameof(RunnerEntity.StorageOperations)] = beat.StorageOperations,
            [nameof(RunnerEntity.Note)] = beat.Note,
            [nameof(RunnerEntity.Agent)] = beat.Agent,
            [nameof(RunnerEntity.AgentProblem)] = beat.AgentProblem,
            [nameof(RunnerEntity.Account)] = beat.Account,
        };
        await table.UpdateEntityAsync(entity, Azure.ETag.All, TableUpdateMode.Merge, ct);

        // The index holds a row for every session from its claim until it ends: a session the runner names that has
        // no row of this runner's is no longer its own (the janitor orphaned it while the runner was out of reach).
        (IReadOnlyList<Guid> stop, IReadOnlyList<Guid> lost) = ([], []);
        if (beat.ActiveSessions.Count > 0)
        {
            var owned = await active.ListAsync(TableClient.CreateQueryFilter($"RunnerId eq {ShortId.Format(runnerId)}"), ct);
            stop = owned.Where(r => r.StopRequested).Select(r => Guid.Parse(r.RowKey)).Where(beat.ActiveSessions.Contains).ToList();
            lost = beat.ActiveSessions.Except(owned.Select(r => Guid.Parse(r.RowKey))).ToList();
        }

        var lease = (int)janitor.OrphanAfter.TotalSeconds;
        var limit = await limits.RejectionOfAsync(beat.Account, ct) is { } rejected ? new Quota.UsageLimit(rejected.Status, rejected.Window, rejected.Until) : null;
        if (beat.QueueUrlExpiresAt is { } expires && expires - now < QueueUrlRefreshBefore)
        {
            var (url, expiresAt) = await queue.RunnerAccessAsync(QueueUrlLifetime);
            return new HeartbeatReply(stop, url, expiresAt, lost, lease, limit);
        }

        return new HeartbeatReply(stop, LostSessions: lost, LeaseSeconds: lease, AccountLimit: limit);
    }

    /// <summary>The account a runner said it uses (its label), for the sessions it claims.</summary>
    internal async Task<string?> AccountOfAsync(Guid runnerId, CancellationToken ct)
    {
        var table = await storage.Table(TableNames.Runners);
        var found = await table.GetEntityIfExistsAsync<RunnerEntity>(RunnerEntity.Partition, ShortId.Format(runnerId), select: ["Account"], cancellationToken: ct);
        return found.HasValue ? found.Value?.Account : null;
    }

    private static Invalid? BadAccount(string? account) =>
        account is null || Quota.AccountLimits.IsLabel(account) ? null
            : new Invalid("an account label is 1-100 printable characters without '/', '\\', '#' or '?' (an email address, a team's name; never a secret)", "account");

    private static Invalid? TooLong(string? agent, string? agentProblem, string? note) =>
        agent is { Length: > 300 } ? new Invalid("the agent's description is longer than 300 characters", "agent")
        : agentProblem is { Length: > 2000 } ? new Invalid("the agent's problem is longer than 2,000 characters", "agentProblem")
        : note is { Length: > 4000 } ? new Invalid("the note is longer than 4,000 characters", "note")
        : null;

    /// <summary>
    /// What a person who just queued a session should know when no runner can take it now: none online, or every
    /// online one unable to run its agent (with their reasons). Null when some runner is ready.
    /// </summary>
    public async Task<string?> WhyNoRunnerIsReadyAsync(CancellationToken ct)
    {
        var runners = await ListAsync(ct);
        var online = runners.Value?.Where(r => r.Online).ToList() ?? [];
        static AccountLimit? LimitOf(RunnerInfo r) => r.AccountLimit is { IsRejected: true } limit ? limit : null;
        if (online.Any(r => r.Ready && LimitOf(r) is null))
        {
            return null;
        }

        return online.Count == 0
            ? "no runner is online: the session waits in the queue until one starts (`konduktor runner start`, or `konduktor up` starts one)"
            : "no runner can run it now, so it waits in the queue: " + string.Join("; ", online.Select(r => $"runner {r.Name}: " + (r.AgentProblem
                ?? (LimitOf(r) is { } limit ? $"account {limit.Account} is at its usage limit{(limit.Window is { } w ? $" ({w.Replace('_', ' ')})" : "")} until {limit.Until:HH:mm} UTC" : "not ready"))));
    }

    /// <summary>
    /// Why nothing could run now because of usage limits: runners are online and ready, and every one's account is at
    /// its limit (with the soonest reset). Null when some runner could run it, or none is online (the queue waits then).
    /// </summary>
    public async Task<string?> EveryAccountLimitedAsync(CancellationToken ct)
    {
        var ready = (await ListAsync(ct)).Value?.Where(r => r.Ready).ToList() ?? [];
        if (ready.Count == 0 || ready.Any(r => r.AccountLimit is not { IsRejected: true }))
        {
            return null;
        }

        var soonest = ready.Select(r => r.AccountLimit!).MinBy(l => l.Until)!;
        return $"every runner's account is at its usage limit (account {soonest.Account} until {soonest.Until:yyyy-MM-dd HH:mm} UTC)";
    }

    /// <summary>Job messages for a runner that reads the queue through the API (no SAS on an account without keys).</summary>
    public async Task<Result<IReadOnlyList<JobMessage>>> ReceiveJobsAsync(JobRequest request, CancellationToken ct) =>
        Result.Ok(await queue.ReceiveAsync(request.Max, SessionJobs.VisibilityTimeout, ct));

    public async Task<Result<Done>> DeleteJobAsync(JobMessage message, CancellationToken ct)
    {
        try
        {
            await queue.DeleteAsync(message.MessageId, message.PopReceipt, ct);
        }
        catch (Azure.RequestFailedException e) when (e.Status is 404 or 400)
        {
            return new Conflict("that job message is gone or was received again by someone else (a second delivery is harmless: its claim fails)");
        }

        return Done.Value;
    }

    public async Task<Result<IReadOnlyList<RunnerInfo>>> ListAsync(CancellationToken ct)
    {
        var table = await storage.Table(TableNames.Runners);
        var now = clock.GetUtcNow();
        var runners = new List<RunnerInfo>();
        var accountLimits = await limits.CurrentAsync(ct);
        await foreach (var row in table.QueryAsync<RunnerEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {RunnerEntity.Partition}"), cancellationToken: ct))
        {
            runners.Add(row.ToInfo(now, OnlineWindow) with { AccountLimit = accountLimits.FirstOrDefault(l => string.Equals(l.Account, row.Account, StringComparison.OrdinalIgnoreCase)) });
        }

        return runners.OrderByDescending(r => r.Online).ThenBy(r => r.Name, StringComparer.OrdinalIgnoreCase).ToList();
    }

    /// <summary>When each runner was last heard from, and the sessions it said it runs then (the janitor's view).</summary>
    internal async Task<Dictionary<Guid, LastHeartbeat>> LastHeartbeatsAsync(CancellationToken ct)
    {
        var table = await storage.Table(TableNames.Runners);
        var beats = new Dictionary<Guid, LastHeartbeat>();
        await foreach (var row in table.QueryAsync<RunnerEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {RunnerEntity.Partition}"), select: ["RowKey", "LastHeartbeatAt", "ActiveSessions"], cancellationToken: ct))
        {
            beats[row.Id] = new LastHeartbeat(row.LastHeartbeatAt, JsonSerializer.Deserialize<Guid[]>(row.ActiveSessions ?? "[]") ?? []);
        }

        return beats;
    }

    /// <summary>
    /// A runner credential, checked with one point read and then remembered for a minute: an idle runner's
    /// heartbeat costs one storage write, not two. (A re-registered runner's old secret lives at most that minute.)
    /// </summary>
    public async Task<Result<Principal>> AuthenticateAsync(string token, CancellationToken ct)
    {
        var hash = Secrets.Hash(token);
        var now = clock.GetUtcNow();
        if (_recent.TryGetValue(hash, out var remembered) && remembered.Until > now)
        {
            return remembered.Runner;
        }

        var ids = Secrets.IdsIn(token, Secrets.RunnerPrefix, 1);
        if (ids.Length == 1)
        {
            var table = await storage.Table(TableNames.Runners);
            var found = await table.GetEntityIfExistsAsync<RunnerEntity>(RunnerEntity.Partition, ShortId.Format(ids[0]), cancellationToken: ct);
            if (found.HasValue && found.Value is { } runner && Secrets.Matches(token, runner.TokenHash))
            {
                var principal = new Principal(PrincipalKind.Runner, runner.Name, Id: runner.Id);
                _recent[hash] = (principal, now + CredentialMemory);
                return principal;
            }
        }

        return new Unauthorized("this runner credential is not valid (the runner was registered again elsewhere?); restart the runner");
    }
}

/// <summary>A runner's latest heartbeat as the janitor reads it.</summary>
internal sealed record LastHeartbeat(DateTimeOffset? At, IReadOnlyList<Guid> Sessions);

using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using Konduktor.Core.Auth;
using Konduktor.Core.Results;
using Konduktor.Core.Storage;
using Microsoft.Extensions.Logging;

namespace Konduktor.Core.Workspaces;

public sealed record NewWorkspace
{
    public required string Repository { get; init; }

    public string? Name { get; init; }

    public string? DefaultBranch { get; init; }

    /// <summary>The GitHub repository (ORG/REPO) when the git remote is elsewhere (a mirror, a local path in tests).</summary>
    public string? GitHubRepository { get; init; }
}

/// <summary>A partial change of a workspace's configuration: fields left null stay as they are.</summary>
public sealed record ConfigChanges
{
    public string? SystemPrompt { get; init; }

    /// <summary>Puts the default system prompt back.</summary>
    public bool? ResetSystemPrompt { get; init; }

    public bool? AutoFixConflicts { get; init; }

    public bool? AutoFixCi { get; init; }

    public bool? AutoFixReviews { get; init; }

    public string? DefaultBranch { get; init; }

    public string? PermissionMode { get; init; }

    /// <summary>A model name, or "" for Claude Code's default.</summary>
    public string? Model { get; init; }

    /// <summary>A GitHub token for the API (checks, mergeability); "" removes it. Stored, never shown or logged.</summary>
    public string? GitHubToken { get; init; }

    /// <summary>Who opens a task's pull request: konduktor, agent or off.</summary>
    public string? PullRequests { get; init; }

    /// <summary>The column a task goes to when its session left commits and no pull request can be opened; "" leaves it where it is.</summary>
    public string? WithoutPullRequest { get; init; }

    /// <summary>Automatic fix sessions in a row per task before Konduktor stops and leaves a note (default 3).</summary>
    public int? AutoFixLimit { get; init; }

    /// <summary>Which open issues become tasks: a label, "*" for every open issue, or "" for none (it stops following; the tasks stay).</summary>
    public string? FollowIssues { get; init; }

    /// <summary>Ask an agent's questions about an issue's task on the issue too, and take a person's answer there.</summary>
    public bool? MirrorQuestions { get; init; }

    /// <summary>A script run in each worktree before its agent; "" removes it (the repository's <c>.konduktor/setup</c> runs then).</summary>
    public string? SetupScript { get; init; }

    /// <summary>A script run in a worktree before it is removed; "" removes it.</summary>
    public string? CleanupScript { get; init; }

    /// <summary>Minutes a setup may take before the session fails (default 10).</summary>
    public int? SetupTimeoutMinutes { get; init; }

    /// <summary>Whether a session waiting for quota continues by itself after the reset.</summary>
    public bool? AutoResume { get; init; }

    /// <summary>What a task may spend over all its sessions unless it says otherwise; 0 removes the limit.</summary>
    public decimal? TaskBudgetUsd { get; init; }

    /// <summary>What the workspace's sessions may spend in a day (UTC); 0 removes the limit.</summary>
    public decimal? DailyBudgetUsd { get; init; }

    /// <summary>Hosts to add to the network allow-list (<c>HOST[:PORT]</c>, port 443 unless given).</summary>
    public IReadOnlyList<string>? AllowHosts { get; init; }

    /// <summary>Hosts to take off the network allow-list.</summary>
    public IReadOnlyList<string>? DisallowHosts { get; init; }
}

public sealed class WorkspaceService(StorageClients storage, TextStore texts, SecretVault vault, TimeProvider clock, IIdGenerator ids, ILogger<WorkspaceService> logger)
{
    public async Task<Result<Workspace>> CreateAsync(Principal caller, NewWorkspace input, CancellationToken ct)
    {
        if (!RepositoryAddress.Parse(input.Repository).TryGet(out var repository, out var failure)
            || !WorkspaceRules.Name(input.Name?.Trim() ?? repository.Name).TryGet(out var name, out failure)
            || !WorkspaceRules.Branch(input.DefaultBranch ?? "main").TryGet(out var branch, out failure))
        {
            return failure;
        }

        if (input.GitHubRepository is { } gitHub)
        {
            if (!RepositoryAddress.Parse(gitHub).TryGet(out var named, out failure) || named.GitHubFullName is null)
            {
                return new Invalid($"'{ShortId.Shorten(gitHub)}' is not a GitHub repository: use ORG/REPO", "gitHubRepository");
            }

            repository = repository with { GitHubFullName = named.GitHubFullName };
        }

        var id = ids.NewId();
        var now = clock.GetUtcNow();
        var entity = new WorkspaceEntity
        {
            RowKey = ShortId.Format(id),
            Name = name,
            Repository = repository.Url,
            GitHubRepository = repository.GitHubFullName,
            WebhookSecret = await vault.KeepAsync(WebhookSecretName(id), NewWebhookSecret(), ct),
            DefaultBranch = branch,
            Columns = JsonSerializer.Serialize(BoardColumns.Defaults),
            SystemPrompt = DefaultSystemPrompt.Text,
            AutoFixConflicts = true,
            AutoFixCi = true,
            CreatedAt = now,
            UpdatedAt = now,
        };
        var table = await storage.Table(TableNames.Workspaces);
        try
        {
            var responses = await table.SubmitTransactionAsync(
                [
                    new TableTransactionAction(TableTransactionActionType.Add, entity),
                    new TableTransactionAction(TableTransactionActionType.Add, new WorkspaceNameEntity { RowKey = WorkspaceEntity.NameRow(name), WorkspaceId = entity.RowKey }),
                ],
                ct);
            entity.ETag = responses.Value[0].Headers.ETag ?? default;
        }
        catch (TableTransactionFailedException e) when (e.Status == 409)
        {
            await vault.ForgetAsync(entity.WebhookSecret, ct);
            return new Conflict($"a workspace named '{name}' already exists; choose another with --name");
        }

        logger.LogInformation("Workspace {WorkspaceId} {WorkspaceName} created for {Repository}", id, name, repository.Url);
        return entity.ToWorkspace(DefaultSystemPrompt.Text);
    }

    public async Task<IReadOnlyList<Workspace>> ListAsync(Principal caller, CancellationToken ct)
    {
        var table = await storage.Table(TableNames.Workspaces);
        var result = new List<Workspace>();
        var query = table.QueryAsync<WorkspaceEntity>(
            e => e.PartitionKey == WorkspaceEntity.Partition && e.RowKey.CompareTo(WorkspaceEntity.NameRowPrefix) < 0,
            cancellationToken: ct);
        await foreach (var entity in query)
        {
            var workspace = entity.ToWorkspace(await texts.LoadAsync(entity.StoredSystemPrompt, ct));
            if (caller.MayUseWorkspace(workspace.Id, workspace.Name).IsSuccess)
            {
                result.Add(workspace);
            }
        }

        return result.OrderBy(w => w.Name, StringComparer.OrdinalIgnoreCase).ToList();
    }

    /// <summary>Finds a workspace by name (case-insensitive) or by a unique prefix of its id, and checks the caller may use it.</summary>
    public async Task<Result<Workspace>> ResolveAsync(Principal caller, string reference, CancellationToken ct)
    {
        var found = await FindEntityAsync(reference, ct);
        if (!found.TryGet(out var entity, out var failure))
        {
            return failure;
        }

        var workspace = entity.ToWorkspace(await texts.LoadAsync(entity.StoredSystemPrompt, ct));
        return caller.MayUseWorkspace(workspace.Id, workspace.Name).Map(_ => workspace);
    }

    public Task<Result<Workspace>> UpdateConfigAsync(Principal caller, string reference, ConfigChanges changes, string? ifMatch, CancellationToken ct) =>
        Optimistic.UpdateAsync<Workspace>(async token =>
        {
            if (!(await ResolveAsync(caller, reference, token)).TryGet(out var current, out var failure))
            {
                return failure;
            }

            if (ifMatch is not null && ifMatch != current.Version)
            {
                return new Conflict($"workspace {current.Name} was changed since you read it; reload and try again");
            }

            // Everything is checked before anything is stored (prompt blob, secret), so a refusal writes nothing.
            var prompt = changes.ResetSystemPrompt == true ? DefaultSystemPrompt.Text : changes.SystemPrompt ?? current.Config.SystemPrompt;
            if (!WorkspaceRules.SystemPrompt(prompt).TryGet(out prompt, out failure)
                || !WorkspaceRules.Branch(changes.DefaultBranch ?? current.DefaultBranch).TryGet(out var branch, out failure)
                || !WorkspaceRules.PermissionMode(changes.PermissionMode ?? current.Config.PermissionMode).TryGet(out var permissionMode, out failure)
                || !WorkspaceRules.Model(changes.Model ?? current.Config.Model).TryGet(out var model, out failure)
                || !WorkspaceRules.PullRequestMode(changes.PullRequests ?? current.Config.PullRequests).TryGet(out var pullRequests, out failure))
            {
                return failure;
            }

            string? withoutPullRequest = null;
            if (changes.WithoutPullRequest is { Length: > 0 } column && (withoutPullRequest = current.FindColumn(column)) is null)
            {
                return new Invalid($"'{column}' is not a column of {current.Name}: use one of {string.Join(", ", current.Columns)} (or \"\" to leave the task where it is)", "withoutPullRequest");
            }

            if (!WorkspaceRules.FollowIssues(current, changes.FollowIssues ?? current.Config.FollowIssues ?? "").TryGet(out var followIssues, out failure))
            {
                return failure;
            }

            if (changes.AutoFixLimit is < 0 or > 50)
            {
                return new Invalid("the auto-fix limit must be between 0 and 50", "autoFixLimit");
            }

            if (!WorkspaceRules.Script(changes.SetupScript, "setupScript").TryGet(out var setup, out failure)
                || !WorkspaceRules.Script(changes.CleanupScript, "cleanupScript").TryGet(out var cleanup, out failure))
            {
                return failure;
            }

            if (changes.SetupTimeoutMinutes is < 1 or > WorkspaceRules.MaxSetupTimeoutMinutes)
            {
                return new Invalid($"the setup timeout must be between 1 and {WorkspaceRules.MaxSetupTimeoutMinutes} minutes", "setupTimeoutMinutes");
            }

            if ((WorkspaceRules.Budget(changes.TaskBudgetUsd, "taskBudgetUsd") ?? WorkspaceRules.Budget(changes.DailyBudgetUsd, "dailyBudgetUsd")) is { } badBudget)
            {
                return badBudget;
            }

            if (!WorkspaceRules.AllowedHosts(current.Config.AllowedHosts, changes.AllowHosts, changes.DisallowHosts).TryGet(out var allowedHosts, out failure))
            {
                return failure;
            }

            var table = await storage.Table(TableNames.Workspaces);
            var entity = (await table.GetEntityAsync<WorkspaceEntity>(WorkspaceEntity.Partition, ShortId.Format(current.Id), cancellationToken: token)).Value;
            if (entity.ETag.ToString() != current.Version)
            {
                throw new RequestFailedException(412, "changed between reads");
            }

            entity.AutoFixConflicts = changes.AutoFixConflicts ?? entity.AutoFixConflicts;
            entity.AutoFixCi = changes.AutoFixCi ?? entity.AutoFixCi;
            entity.AutoFixReviews = changes.AutoFixReviews ?? entity.AutoFixReviews;
            entity.AutoFixLimit = changes.AutoFixLimit ?? entity.AutoFixLimit;
            entity.DefaultBranch = branch;
            entity.PermissionMode = permissionMode;
            entity.Model = model.Length == 0 ? null : model;
            entity.PullRequests = pullRequests;
            entity.WithoutPullRequest = changes.WithoutPullRequest is null ? entity.WithoutPullRequest : withoutPullRequest;
            entity.FollowIssues = followIssues.Length == 0 ? null : followIssues;
            entity.MirrorQuestions = changes.MirrorQuestions ?? entity.MirrorQuestions;
            entity.SetupScript = changes.SetupScript is null ? entity.SetupScript : setup;
            entity.CleanupScript = changes.CleanupScript is null ? entity.CleanupScript : cleanup;
            entity.SetupTimeoutMinutes = changes.SetupTimeoutMinutes ?? entity.SetupTimeoutMinutes;
            entity.AutoResume = changes.AutoResume ?? entity.AutoResume;
            entity.TaskBudgetUsd = changes.TaskBudgetUsd is { } taskBudget ? (taskBudget == 0 ? null : (double)taskBudget) : entity.TaskBudgetUsd;
            entity.DailyBudgetUsd = changes.DailyBudgetUsd is { } dailyBudget ? (dailyBudget == 0 ? null : (double)dailyBudget) : entity.DailyBudgetUsd;
            entity.AllowedHosts = allowedHosts.Count == 0 ? null : string.Join('\n', allowedHosts);
            if (changes.GitHubToken is { } gitHubToken)
            {
                entity.GitHubToken = gitHubToken.Trim().Length == 0 ? null : await vault.KeepAsync(GitHubTokenName(current.Id), gitHubToken.Trim(), token);
            }

            return await SaveConfigAsync(table, entity, prompt, prompt != current.Config.SystemPrompt, token);
        }, "the workspace", ct);

    /// <summary>Writes the workspace with its ETag; a changed system prompt is stored first and the old one forgotten after.</summary>
    private async Task<Result<Workspace>> SaveConfigAsync(TableClient table, WorkspaceEntity entity, string prompt, bool promptChanged, CancellationToken ct)
    {
        var oldPrompt = entity.StoredSystemPrompt;
        var newPrompt = promptChanged ? await texts.SaveAsync($"workspaces/{entity.RowKey}", prompt, ct) : oldPrompt;
        (entity.SystemPrompt, entity.SystemPromptBlob) = (newPrompt.Inline, newPrompt.BlobName);
        entity.UpdatedAt = clock.GetUtcNow();
        try
        {
            var response = await table.UpdateEntityAsync(entity, entity.ETag, TableUpdateMode.Replace, ct);
            entity.ETag = response.Headers.ETag ?? default;
        }
        catch (RequestFailedException e) when (Optimistic.IsLostRace(e))
        {
            if (newPrompt != oldPrompt)
            {
                await texts.ForgetAsync(newPrompt);
            }

            throw;
        }

        if (newPrompt != oldPrompt)
        {
            await texts.ForgetAsync(oldPrompt);
        }

        return entity.ToWorkspace(prompt);
    }

    /// <summary>Deletes a workspace. One with tasks is only deleted with <paramref name="force"/>, which deletes its tasks too.</summary>
    public async Task<Result<Workspace>> DeleteAsync(Principal caller, string reference, bool force, CancellationToken ct)
    {
        if (!(await ResolveAsync(caller, reference, ct)).TryGet(out var workspace, out var failure))
        {
            return failure;
        }

        var partition = ShortId.Format(workspace.Id);
        var tasks = await storage.Table(TableNames.Tasks);
        var taskKeys = new List<TableEntity>();
        await foreach (var task in tasks.QueryAsync<TableEntity>(e => e.PartitionKey == partition, select: ["RowKey"], cancellationToken: ct))
        {
            taskKeys.Add(task);
        }

        if (taskKeys.Count > 0 && !force)
        {
            return new Conflict($"workspace {workspace.Name} has {taskKeys.Count} task(s); delete them first or pass --force to delete them with it");
        }

        var table = await storage.Table(TableNames.Workspaces);
        try
        {
            await table.SubmitTransactionAsync(
                [
                    new TableTransactionAction(TableTransactionActionType.Delete, new TableEntity(WorkspaceEntity.Partition, partition), new ETag(workspace.Version)),
                    new TableTransactionAction(TableTransactionActionType.Delete, new TableEntity(WorkspaceEntity.Partition, WorkspaceEntity.NameRow(workspace.Name))),
                ],
                ct);
        }
        catch (TableTransactionFailedException e) when (e.Status is 412 or 404)
        {
            return new Conflict($"workspace {workspace.Name} changed while it was being deleted; nothing was deleted, try again");
        }

        await vault.ForgetNamedAsync(WebhookSecretName(workspace.Id), ct);
        await vault.ForgetNamedAsync(GitHubTokenName(workspace.Id), ct);
        await AgentSecrets.ForgetAllAsync(storage, vault, workspace.Id, ct);

        // The workspace is gone atomically above; its task rows are now unreachable and are removed in batches.
        foreach (var batch in taskKeys.Chunk(100))
        {
            await tasks.SubmitTransactionAsync(batch.Select(t => new TableTransactionAction(TableTransactionActionType.Delete, new TableEntity(partition, t.RowKey))), ct);
        }

        logger.LogInformation("Workspace {WorkspaceId} {WorkspaceName} deleted with {TaskCount} tasks", workspace.Id, workspace.Name, taskKeys.Count);
        return workspace;
    }

    /// <summary>What to paste into the repository's webhook settings (people only: it holds the secret).</summary>
    public async Task<Result<(Workspace Workspace, string Secret)>> WebhookAsync(Principal caller, string reference, CancellationToken ct)
    {
        if (!(await ResolveAsync(caller, reference, ct)).TryGet(out var workspace, out var failure))
        {
            return failure;
        }

        return (workspace, await WebhookSecretAsync(workspace.Id, ct) ?? "");
    }

    /// <summary>The workspace's webhook secret, made now for a workspace created before webhooks existed.</summary>
    internal async Task<string?> WebhookSecretAsync(Guid workspaceId, CancellationToken ct)
    {
        var table = await storage.Table(TableNames.Workspaces);
        var found = await table.GetEntityIfExistsAsync<WorkspaceEntity>(WorkspaceEntity.Partition, ShortId.Format(workspaceId), cancellationToken: ct);
        if (!found.HasValue || found.Value is not { } entity)
        {
            return null;
        }

        if (entity.WebhookSecret is null)
        {
            entity.WebhookSecret = await vault.KeepAsync(WebhookSecretName(workspaceId), NewWebhookSecret(), ct);
            try
            {
                await table.UpdateEntityAsync(entity, entity.ETag, TableUpdateMode.Replace, ct);
            }
            catch (RequestFailedException e) when (Optimistic.IsLostRace(e))
            {
                return await WebhookSecretAsync(workspaceId, ct);
            }
        }

        return await vault.ReadAsync(entity.WebhookSecret, ct);
    }

    private static string WebhookSecretName(Guid workspaceId) => $"ws-{workspaceId:N}-webhook";

    private static string GitHubTokenName(Guid workspaceId) => $"ws-{workspaceId:N}-github";

    private static string NewWebhookSecret() => Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));

    /// <summary>The workspace's GitHub token, for Konduktor's own API calls; null when none is set.</summary>
    internal async Task<string?> GitHubTokenAsync(Guid workspaceId, CancellationToken ct)
    {
        var table = await storage.Table(TableNames.Workspaces);
        var found = await table.GetEntityIfExistsAsync<WorkspaceEntity>(WorkspaceEntity.Partition, ShortId.Format(workspaceId), select: ["GitHubToken"], cancellationToken: ct);
        return found.HasValue ? await vault.ReadAsync(found.Value?.GitHubToken, ct) : null;
    }

    /// <summary>A workspace by its id, for the system's own work (claims, sessions); callers are checked by the caller.</summary>
    internal async Task<Workspace?> FindByIdAsync(Guid id, CancellationToken ct)
    {
        var table = await storage.Table(TableNames.Workspaces);
        var found = await table.GetEntityIfExistsAsync<WorkspaceEntity>(WorkspaceEntity.Partition, ShortId.Format(id), cancellationToken: ct);
        return found.HasValue && found.Value is { } entity ? entity.ToWorkspace(await texts.LoadAsync(entity.StoredSystemPrompt, ct)) : null;
    }

    private async Task<Result<WorkspaceEntity>> FindEntityAsync(string reference, CancellationToken ct)
    {
        var table = await storage.Table(TableNames.Workspaces);
        var name = reference.Trim();
        if (WorkspaceRules.NamePattern().IsMatch(name))
        {
            var index = await table.GetEntityIfExistsAsync<WorkspaceNameEntity>(WorkspaceEntity.Partition, WorkspaceEntity.NameRow(name), cancellationToken: ct);
            if (index.HasValue && index.Value is { } row)
            {
                var byName = await table.GetEntityIfExistsAsync<WorkspaceEntity>(WorkspaceEntity.Partition, row.WorkspaceId, cancellationToken: ct);
                if (byName.HasValue && byName.Value is { } entity)
                {
                    return entity;
                }
            }
        }

        var found = await PrefixLookup.FindAsync<WorkspaceEntity>(table, WorkspaceEntity.Partition, name, "workspace", m => $"{m.RowKey} ({m.Name})", ct);
        return found.Failure is NotFound or Invalid
            ? new NotFound($"no workspace matches '{ShortId.Shorten(name)}'; `konduktor workspaces list` shows them")
            : found;
    }
}

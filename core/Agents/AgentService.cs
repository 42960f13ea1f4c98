using System.Reflection;
using System.Text;
using System.Text.RegularExpressions;
using Azure;
using Azure.Data.Tables;
using Konduktor.Core.Auth;
using Konduktor.Core.Questions;
using Konduktor.Core.Results;
using Konduktor.Core.Sessions;
using Konduktor.Core.Storage;
using Konduktor.Core.Workspaces;
using Microsoft.Extensions.Logging;

namespace Konduktor.Core.Agents;

/// <summary>
/// Scheduled agents: people create, change, enable, run and delete them; a timer finds the due ones and queues a
/// <c>scheduled-agent</c> session for each — or records a skip while the previous run is still active. Agents
/// (sessions) may read them but not change them.
/// </summary>
public sealed partial class AgentService(WorkspaceService workspaces, SessionReads sessions, SessionStore store, SessionStarts starts, SessionBudgets budgets, Runners.RunnerService runners, QuestionService questions, StorageClients storage, TimeProvider clock, ILogger<AgentService> logger)
{
    public const int MaxPromptLength = 20_000;
    private const int MaxAnswersLength = 8_000;
    private const int RunsShown = 20;

    /// <summary>The presets, from the markdown files kept in the repository (core/Agents/Presets).</summary>
    public static IReadOnlyList<AgentPreset> Presets { get; } = LoadPresets();

    public async Task<Result<Agent>> CreateAsync(Principal caller, string workspaceRef, NewAgent input, CancellationToken ct)
    {
        if (!(await workspaces.ResolveAsync(caller, workspaceRef, ct)).TryGet(out var workspace, out var failure))
        {
            return failure;
        }

        AgentPreset? preset = null;
        if (input.Preset is { } presetName && (preset = Presets.FirstOrDefault(p => string.Equals(p.Name, presetName.Trim(), StringComparison.OrdinalIgnoreCase))) is null)
        {
            return new Invalid($"there is no preset '{ShortId.Shorten(presetName)}'; the presets are {string.Join(", ", Presets.Select(p => p.Name))}", "preset");
        }

        if (preset is null && string.IsNullOrWhiteSpace(input.Prompt))
        {
            return new Invalid("an agent needs a prompt (--prompt-file) or a preset (--preset)", "prompt");
        }

        var name = (input.Name ?? preset?.Name ?? "").Trim().ToLowerInvariant();
        if (!NamePattern().IsMatch(name))
        {
            return new Invalid($"'{ShortId.Shorten(name)}' is not an agent name: use up to 40 lower-case letters, digits and '-', starting with a letter or digit", "name");
        }

        var now = clock.GetUtcNow();
        var entity = new AgentEntity
        {
            PartitionKey = ShortId.Format(workspace.Id),
            RowKey = name,
            Preset = preset?.Name,
            Every = input.Every ?? (input.Cron is null ? preset?.Every : null),
            Cron = input.Cron,
            TimeZone = input.TimeZone ?? "UTC",
            CreatedAt = now,
            UpdatedAt = now,
        };
        if ((Apply(entity, new AgentChanges { Prompt = input.Prompt, Model = input.Model, MaxTurns = input.MaxTurns, MaxBudgetUsd = input.MaxBudgetUsd, DailyBudgetUsd = input.DailyBudgetUsd }).Failure ?? Validate(entity).Failure) is { } invalid)
        {
            return invalid;
        }

        entity.NextRunAt = AgentSchedule.Next(entity, now);
        var table = await storage.Table(TableNames.Agents);
        try
        {
            entity.ETag = (await table.AddEntityAsync(entity, ct)).Headers.ETag ?? default;
        }
        catch (RequestFailedException e) when (e.Status == 409)
        {
            return new Conflict($"workspace {workspace.Name} already has an agent named {name}; choose another with --name");
        }

        logger.LogInformation("Agent {Agent} created in workspace {WorkspaceId} by {Principal}", name, workspace.Id, caller.Name);
        return entity.ToAgent();
    }

    public async Task<Result<IReadOnlyList<Agent>>> ListAsync(Principal caller, string workspaceRef, CancellationToken ct)
    {
        if (!(await workspaces.ResolveAsync(caller, workspaceRef, ct)).TryGet(out var workspace, out var failure))
        {
            return failure;
        }

        var table = await storage.Table(TableNames.Agents);
        var agents = new List<Agent>();
        await foreach (var entity in table.QueryAsync<AgentEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {ShortId.Format(workspace.Id)}"), cancellationToken: ct))
        {
            var runs = await sessions.AgentSessionsAsync(workspace.Id, entity.RowKey, ct);
            agents.Add(entity.ToAgent() with { CostUsd = runs.Sum(s => s.Outcome?.CostUsd ?? 0) });
        }

        return agents.OrderBy(a => a.Name, StringComparer.Ordinal).ToList();
    }

    /// <summary>The agent with its latest runs (queued or skipped, with each session's state and cost) and its total cost.</summary>
    public async Task<Result<Agent>> GetAsync(Principal caller, string workspaceRef, string name, CancellationToken ct)
    {
        if (!(await FindAsync(caller, workspaceRef, name, ct)).TryGet(out var found, out var failure))
        {
            return failure;
        }

        var (workspace, entity) = found;
        var sessionsById = (await sessions.AgentSessionsAsync(workspace.Id, entity.RowKey, ct)).ToDictionary(s => s.Id);
        var runs = new List<AgentRun>();
        var table = await storage.Table(TableNames.AgentRuns);
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {entity.PartitionKey} and RowKey gt {entity.RowKey + ":"} and RowKey lt {entity.RowKey + ";"}");
        await foreach (var run in table.QueryAsync<AgentRunEntity>(filter, maxPerPage: RunsShown, cancellationToken: ct))
        {
            var session = run.SessionId is null ? null : sessionsById.GetValueOrDefault(Guid.Parse(run.SessionId));
            runs.Add(new AgentRun(run.At, Enum.TryParse<AgentRunOutcome>(run.Outcome, ignoreCase: true, out var outcome) ? outcome : AgentRunOutcome.Failed, session?.Id, run.Reason, session is null ? null : SessionStore.StatusName(session.Status), session?.Outcome?.CostUsd));
            if (runs.Count == RunsShown)
            {
                break;
            }
        }

        return entity.ToAgent() with { Runs = runs, CostUsd = sessionsById.Values.Sum(s => s.Outcome?.CostUsd ?? 0) };
    }

    public Task<Result<Agent>> UpdateAsync(Principal caller, string workspaceRef, string name, AgentChanges changes, CancellationToken ct) =>
        ChangeAsync(caller, workspaceRef, name, entity =>
        {
            var scheduleChanged = changes.Every is not null || changes.Cron is not null || changes.TimeZone is not null || changes.Enabled is not null;
            if (changes.Every is not null && changes.Cron is not null)
            {
                return new Invalid("give either an interval (--every) or a cron expression (--cron), not both", "every");
            }

            if (changes.Every is not null)
            {
                (entity.Every, entity.Cron) = (changes.Every, null);
            }
            else if (changes.Cron is not null)
            {
                (entity.Every, entity.Cron) = (null, changes.Cron);
            }

            entity.TimeZone = changes.TimeZone ?? entity.TimeZone;
            entity.Enabled = changes.Enabled ?? entity.Enabled;
            if ((Apply(entity, changes).Failure ?? Validate(entity).Failure) is { } invalid)
            {
                return invalid;
            }

            if (scheduleChanged)
            {
                entity.NextRunAt = entity.Enabled ? AgentSchedule.Next(entity, clock.GetUtcNow()) : null;
            }

            return Done.Value;
        }, ct);

    /// <summary>Queues a run now (the schedule stays as it is); refused while the previous run is active.</summary>
    public async Task<Result<AgentRun>> RunNowAsync(Principal caller, string workspaceRef, string name, CancellationToken ct)
    {
        if (!(await FindAsync(caller, workspaceRef, name, ct)).TryGet(out var found, out var failure))
        {
            return failure;
        }

        var run = await RunAsync(found.Workspace, found.Entity, $"run now by {caller.Name}", ct);
        return run.Outcome == AgentRunOutcome.Skipped ? new Conflict($"agent {name} is still running: {run.Reason}; stop it or wait for it to end") : run;
    }

    public async Task<Result<Agent>> DeleteAsync(Principal caller, string workspaceRef, string name, CancellationToken ct)
    {
        if (!(await FindAsync(caller, workspaceRef, name, ct)).TryGet(out var found, out var failure))
        {
            return failure;
        }

        var table = await storage.Table(TableNames.Agents);
        try
        {
            await table.DeleteEntityAsync(found.Entity.PartitionKey, found.Entity.RowKey, found.Entity.ETag, ct);
        }
        catch (RequestFailedException e) when (e.Status is 412 or 404)
        {
            return new Conflict($"agent {name} changed while it was being deleted; nothing was deleted, try again");
        }

        logger.LogInformation("Agent {Agent} deleted by {Principal}", name, caller.Name);
        return found.Entity.ToAgent();
    }

    private Task<Result<Agent>> ChangeAsync(Principal caller, string workspaceRef, string name, Func<AgentEntity, Result<Done>> change, CancellationToken ct) =>
        Optimistic.UpdateAsync<Agent>(async token =>
        {
            if (!(await FindAsync(caller, workspaceRef, name, token)).TryGet(out var found, out var failure))
            {
                return failure;
            }

            var entity = found.Entity;
            if (change(entity).Failure is { } refused)
            {
                return refused;
            }

            entity.UpdatedAt = clock.GetUtcNow();
            var table = await storage.Table(TableNames.Agents);
            entity.ETag = (await table.UpdateEntityAsync(entity, entity.ETag, TableUpdateMode.Replace, token)).Headers.ETag ?? default;
            return entity.ToAgent();
        }, "the agent", ct);

    private async Task<Result<(Workspace Workspace, AgentEntity Entity)>> FindAsync(Principal caller, string workspaceRef, string name, CancellationToken ct)
    {
        if (!(await workspaces.ResolveAsync(caller, workspaceRef, ct)).TryGet(out var workspace, out var failure))
        {
            return failure;
        }

        var key = name.Trim().ToLowerInvariant();
        if (!NamePattern().IsMatch(key))
        {
            return new Invalid($"'{ShortId.Shorten(name)}' is not an agent name", "name");
        }

        var table = await storage.Table(TableNames.Agents);
        var found = await table.GetEntityIfExistsAsync<AgentEntity>(ShortId.Format(workspace.Id), key, cancellationToken: ct);
        return found.HasValue && found.Value is { } entity
            ? (workspace, entity)
            : new NotFound($"workspace {workspace.Name} has no agent named {key}: `konduktor agents list`");
    }


    private static Result<Done> Apply(AgentEntity entity, AgentChanges changes)
    {
        if (changes.Prompt is { } prompt)
        {
            if (prompt.Trim().Length == 0)
            {
                return new Invalid("the prompt is empty", "prompt");
            }

            if (prompt.Length > MaxPromptLength)
            {
                return new TooLarge($"the prompt is {prompt.Length:N0} characters; the limit is {MaxPromptLength:N0}");
            }

            entity.Prompt = prompt;
        }

        if (changes.MaxTurns is { } turns && turns is < 1 or > 1000)
        {
            return new Invalid("max turns must be between 1 and 1000", "maxTurns");
        }

        if (changes.MaxBudgetUsd is { } budget && budget is <= 0 or > 10_000)
        {
            return new Invalid("the budget must be more than 0 and at most 10000 (US dollars per run)", "maxBudgetUsd");
        }

        if (WorkspaceRules.Budget(changes.DailyBudgetUsd, "dailyBudgetUsd") is { } badDaily)
        {
            return badDaily;
        }

        if (changes.Model is { } model && (model.Length > 100 || model.Any(char.IsWhiteSpace)))
        {
            return new Invalid("the model is a name without spaces, like sonnet or opus", "model");
        }

        entity.Model = changes.Model ?? entity.Model;
        entity.MaxTurns = changes.MaxTurns ?? entity.MaxTurns;
        entity.MaxBudgetUsd = changes.MaxBudgetUsd is { } set ? (double)set : entity.MaxBudgetUsd;
        entity.DailyBudgetUsd = changes.DailyBudgetUsd is { } daily ? (daily == 0 ? null : (double)daily) : entity.DailyBudgetUsd;
        return Done.Value;
    }

    private static Result<Done> Validate(AgentEntity entity)
    {
        if ((entity.Every is null) == (entity.Cron is null))
        {
            return new Invalid("give a schedule: an interval (--every 30m) or a cron expression (--cron \"0 */2 * * *\")", "every");
        }

        if (entity.Every is { } every && AgentSchedule.ParseEvery(every).Failure is { } badEvery)
        {
            return badEvery;
        }

        if (entity.Cron is { } cron && AgentSchedule.ParseCron(cron).Failure is { } badCron)
        {
            return badCron;
        }

        return AgentSchedule.ParseZone(entity.TimeZone).Failure is { } badZone ? badZone : Done.Value;
    }

    private static List<AgentPreset> LoadPresets()
    {
        var assembly = typeof(AgentService).Assembly;
        var presets = new List<AgentPreset>();
        foreach (var resource in assembly.GetManifestResourceNames().Where(r => r.StartsWith("preset:", StringComparison.Ordinal)).Order(StringComparer.Ordinal))
        {
            using var reader = new StreamReader(assembly.GetManifestResourceStream(resource)!);
            var text = reader.ReadToEnd().ReplaceLineEndings("\n");
            var match = FrontMatter().Match(text);
            var fields = match.Groups[1].Value.Split('\n', StringSplitOptions.RemoveEmptyEntries)
                .Select(line => line.Split(':', 2)).ToDictionary(pair => pair[0].Trim(), pair => pair[1].Trim());
            presets.Add(new AgentPreset(resource["preset:".Length..], fields["every"], fields["description"], text[match.Length..].Trim()));
        }

        return presets;
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{0,39}$")]
    private static partial Regex NamePattern();

    [GeneratedRegex("^---\n(.*?)\n---\n", RegexOptions.Singleline)]
    private static partial Regex FrontMatter();
}

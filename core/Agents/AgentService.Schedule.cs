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

/// <summary>Running agents when due: one claim per due agent (two hosts never both run one), a skip while the last run is active, and the prompt with the answers since.</summary>
public sealed partial class AgentService
{
    /// <summary>
    /// The scheduler's pass (a timer function): every enabled agent whose time has come is claimed by moving its next
    /// time on (conditionally, so two hosts never both run it), then queued — or skipped while its previous run is active.
    /// </summary>
    public async Task<SchedulerPass> RunDueAsync(CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var table = await storage.Table(TableNames.Agents);
        var (queued, skipped, failed) = (0, 0, 0);
        await foreach (var entity in table.QueryAsync<AgentEntity>(TableClient.CreateQueryFilter($"Enabled eq true and NextRunAt le {now}"), cancellationToken: ct))
        {
            entity.NextRunAt = AgentSchedule.Next(entity, now);
            try
            {
                entity.ETag = (await table.UpdateEntityAsync(entity, entity.ETag, TableUpdateMode.Replace, ct)).Headers.ETag ?? default;
            }
            catch (RequestFailedException e) when (e.Status is 412 or 404)
            {
                continue;
            }

            if (await workspaces.FindByIdAsync(entity.WorkspaceId, ct) is not { } workspace)
            {
                continue;
            }

            var run = await RunAsync(workspace, entity, "schedule", ct);
            (queued, skipped, failed) = run.Outcome switch
            {
                AgentRunOutcome.Queued => (queued + 1, skipped, failed),
                AgentRunOutcome.Skipped => (queued, skipped + 1, failed),
                _ => (queued, skipped, failed + 1),
            };
        }

        return new SchedulerPass(queued, skipped, failed);
    }

    private async Task<AgentRun> RunAsync(Workspace workspace, AgentEntity entity, string trigger, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        AgentRun run;
        var dailyBudget = entity.DailyBudgetUsd is { } daily ? (decimal)daily : (decimal?)null;
        if (entity.LastSessionId is { } last && await store.FindEntityAsync(workspace.Id, Guid.Parse(last), ct) is { } previous && SessionStates.IsActive(previous.StatusValue))
        {
            run = new AgentRun(now, AgentRunOutcome.Skipped, Reason: $"the previous run (session {ShortId.Of(previous.Id)}) is still {SessionStore.StatusName(previous.StatusValue)}");
        }
        else if (await budgets.DailyRefusalAsync(workspace, entity.RowKey, dailyBudget, ct) is { } overBudget)
        {
            run = new AgentRun(now, AgentRunOutcome.Skipped, Reason: overBudget.Message);
        }
        else if (await runners.EveryAccountLimitedAsync(ct) is { } limited)
        {
            // Queued now, the run would wait for the reset and then run late; the next time it is due, it runs on time.
            run = new AgentRun(now, AgentRunOutcome.Skipped, Reason: limited);
        }
        else
        {
            try
            {
                var session = await starts.StartAgentAsync(new Principal(PrincipalKind.System, $"agent {entity.RowKey} ({trigger})"), workspace, entity.RowKey,
                    await PromptAsync(workspace, entity, ct), entity.Model, entity.MaxTurns, entity.MaxBudgetUsd is { } budget ? (decimal)budget : null, dailyBudget, ct);
                run = new AgentRun(now, AgentRunOutcome.Queued, session.Id, trigger);
            }
            catch (RequestFailedException e)
            {
                logger.LogError(e, "Agent {Agent}'s run could not be queued", entity.RowKey);
                run = new AgentRun(now, AgentRunOutcome.Failed, Reason: "storage refused the run; it is tried again when next due");
            }
        }

        var runs = await storage.Table(TableNames.AgentRuns);
        await runs.UpsertEntityAsync(new AgentRunEntity
        {
            PartitionKey = entity.PartitionKey,
            RowKey = AgentRunEntity.Row(entity.RowKey, now),
            Agent = entity.RowKey,
            At = now,
            Outcome = run.Outcome.ToString(),
            SessionId = run.SessionId is { } id ? ShortId.Format(id) : null,
            Reason = run.Reason,
        }, TableUpdateMode.Replace, ct);
        await CountRunAsync(entity, run, ct);
        logger.LogInformation("Agent {Agent} ({Trigger}): {Outcome} {Reason}", entity.RowKey, trigger, run.Outcome, run.Reason);
        return run;
    }

    /// <summary>Counts the run on the agent's fresh row, conditionally: a person's change made meanwhile (enable, schedule) is kept.</summary>
    private async Task CountRunAsync(AgentEntity agent, AgentRun run, CancellationToken ct)
    {
        var table = await storage.Table(TableNames.Agents);
        await Optimistic.UpdateAsync<Done>(async token =>
        {
            var found = await table.GetEntityIfExistsAsync<AgentEntity>(agent.PartitionKey, agent.RowKey, cancellationToken: token);
            if (!found.HasValue || found.Value is not { } current)
            {
                return Done.Value;
            }

            if (run.SessionId is { } sessionId)
            {
                current.LastSessionId = ShortId.Format(sessionId);
                current.LastRunAt = run.At;
                current.RunCount++;
            }
            else if (run.Outcome == AgentRunOutcome.Skipped)
            {
                current.SkippedCount++;
            }

            current.UpdatedAt = run.At;
            await table.UpdateEntityAsync(current, current.ETag, TableUpdateMode.Replace, token);
            return Done.Value;
        }, "the agent", ct);
    }

    /// <summary>Its prompt, then what people answered since its last run to the questions it asked.</summary>
    private async Task<string> PromptAsync(Workspace workspace, AgentEntity entity, CancellationToken ct)
    {
        var prompt = new StringBuilder(entity.Prompt ?? Presets.First(p => p.Name == entity.Preset).Prompt);
        var answered = await questions.AnsweredForAgentAsync(workspace.Id, entity.RowKey, entity.LastRunAt ?? entity.CreatedAt, ct);
        if (answered.Count > 0)
        {
            var section = new StringBuilder().AppendLine().AppendLine().AppendLine("People answered questions you asked since your last run:");
            foreach (var question in answered)
            {
                var item = $"- {question.ShortId} ({(question.TaskId is { } task ? $"task {ShortId.Of(task)}" : "workspace")}): {question.Text}\n  Answer ({question.AnsweredBy}): {question.Answer}\n";
                if (section.Length + item.Length > MaxAnswersLength)
                {
                    section.AppendLine("- (more: `konduktor questions list`)");
                    break;
                }

                section.Append(item);
            }

            prompt.Append(section);
        }

        return prompt.ToString();
    }
}

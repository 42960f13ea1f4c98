using Konduktor.Core.Contract;
using System.CommandLine;
using System.Globalization;
using Konduktor.Core;
using Konduktor.Core.Agents;

namespace Konduktor.Cli.Commands;

/// <summary><c>agents presets|create|list|show|update|enable|disable|run-now|delete|logs</c>: cron-driven Claude Code sessions.</summary>
public static class AgentCommands
{
    public static Command Build()
    {
        var name = new Argument<string>("name") { Description = "The agent's name" };
        var preset = new Option<string?>("--preset") { Description = "Start from a preset (see `konduktor agents presets`)" };
        var newName = new Option<string?>("--name") { Description = "Its name (default: the preset's)" };
        var promptFile = new Option<string?>("--prompt-file") { Description = "Its prompt: a markdown file, or - for stdin" };
        var every = new Option<string?>("--every") { Description = "Run every interval: 30m, 12h, 1d" };
        var cron = new Option<string?>("--cron") { Description = "Run on a cron schedule (five fields), e.g. \"0 */2 * * *\"" };
        var zone = new Option<string?>("--time-zone") { Description = "The cron's time zone (IANA, e.g. Europe/Paris; default UTC)" };
        var model = new Option<string?>("--model") { Description = "The Claude model its sessions use (default: the workspace's)" };
        var maxTurns = new Option<int?>("--max-turns") { Description = "At most this many agent turns per run" };
        var budget = new Option<decimal?>("--max-budget") { Description = "At most this many US dollars per run" };
        var dailyBudget = new Option<decimal?>("--daily-budget") { Description = "At most this many US dollars a day, UTC: a run due past it is skipped (0: no limit)" };

        IReadOnlyList<string> Route(CliContext cli) => cli.In(cli.Get(name));

        return CommandFactory.Group("agents", "Scheduled agents: cron-driven sessions that work through this CLI",
            CommandFactory.Create("presets", "The presets, each a prompt for a common job", async (cli, ct) =>
                cli.Print(await cli.Api.CallAsync(Operations.ListAgentPresets, [], ct), list => Output.Table(["PRESET", "EVERY", "WHAT IT DOES"], list.Select(p => (IReadOnlyList<string>)[p.Name, p.Every, p.Description]), "No presets."))),
            CommandFactory.Create("create", "Create a scheduled agent from a preset or a prompt", async (cli, ct) =>
            {
                var input = new NewAgent
                {
                    Name = cli.Get(newName), Preset = cli.Get(preset), Prompt = CommandFactory.ReadText(null, cli.Get(promptFile)), Every = cli.Get(every), Cron = cli.Get(cron),
                    TimeZone = cli.Get(zone), Model = cli.Get(model), MaxTurns = cli.Get(maxTurns), MaxBudgetUsd = cli.Get(budget),
                    DailyBudgetUsd = cli.Get(dailyBudget),
                };
                cli.Print(await cli.Api.CallAsync(Operations.CreateAgent, cli.In(), input, ct), a => Output.Line($"Agent created: {a.Name} ({Schedule(a)}), next run {Output.Time(a.NextRunAt)}"));
            }, newName, preset, promptFile, every, cron, zone, model, maxTurns, budget, dailyBudget),
            CommandFactory.Create("list", "List the workspace's agents", async (cli, ct) =>
                cli.Print(await cli.Api.CallAsync(Operations.ListAgents, cli.In(), ct), list => Output.Table(["NAME", "SCHEDULE", "ENABLED", "NEXT RUN", "RUNS", "SKIPPED", "COST"], list.Select(a => (IReadOnlyList<string>)
                    [a.Name, Schedule(a), a.Enabled ? "yes" : "no", Output.Time(a.NextRunAt), a.RunCount.ToString(CultureInfo.InvariantCulture), a.SkippedCount.ToString(CultureInfo.InvariantCulture), Output.Cost(a.CostUsd)]), "No scheduled agents: create one with `konduktor agents create`."))),
            CommandFactory.Create("show", "Show an agent: schedule, limits, latest runs and cost", async (cli, ct) =>
                cli.Print(await cli.Api.CallAsync(Operations.GetAgent, Route(cli), ct), Show), name),
            CommandFactory.Create("update", "Change an agent's prompt, schedule, model or limits", async (cli, ct) =>
            {
                var changes = new AgentChanges { Prompt = CommandFactory.ReadText(null, cli.Get(promptFile)), Every = cli.Get(every), Cron = cli.Get(cron), TimeZone = cli.Get(zone), Model = cli.Get(model), MaxTurns = cli.Get(maxTurns), MaxBudgetUsd = cli.Get(budget), DailyBudgetUsd = cli.Get(dailyBudget) };
                cli.Print(await cli.Api.CallAsync(Operations.UpdateAgent, Route(cli), changes, ct), Show);
            }, name, promptFile, every, cron, zone, model, maxTurns, budget, dailyBudget),
            CommandFactory.Create("enable", "Let the scheduler run the agent again", async (cli, ct) =>
                cli.Print(await cli.Api.CallAsync(Operations.UpdateAgent, Route(cli), new AgentChanges { Enabled = true }, ct), a => Output.Line($"Agent {a.Name} enabled; next run {Output.Time(a.NextRunAt)}")), name),
            CommandFactory.Create("disable", "Stop scheduling the agent (a running session goes on)", async (cli, ct) =>
                cli.Print(await cli.Api.CallAsync(Operations.UpdateAgent, Route(cli), new AgentChanges { Enabled = false }, ct), a => Output.Line($"Agent {a.Name} disabled")), name),
            CommandFactory.Create("run-now", "Queue a run now (the schedule stays as it is)", async (cli, ct) =>
                cli.Print(await cli.Api.CallAsync(Operations.RunAgentNow, Route(cli), ct), r => Output.Line($"Session {ShortId.Of(r.SessionId ?? Guid.Empty)} queued for agent {cli.Get(name)}")), name),
            CommandFactory.Create("delete", "Delete an agent (its sessions and logs stay)", async (cli, ct) =>
                cli.Print(await cli.Api.CallAsync(Operations.DeleteAgent, Route(cli), ct), a => Output.Line($"Agent deleted: {a.Name}")), name),
            SessionCommands.AgentLogs(name, Route));
    }

    private static void Show(Agent a)
    {
        Output.Line($"{a.Name}  {(a.Enabled ? "enabled" : "disabled")}  {Schedule(a)}{(a.Preset is null ? "" : $"  (preset {a.Preset}{(a.Prompt is null ? "" : ", own prompt")})")}");
        Output.Line($"next run: {Output.Time(a.NextRunAt)}   last run: {Output.Time(a.LastRunAt)}   runs: {a.RunCount}, skipped: {a.SkippedCount}, cost: {Output.Cost(a.CostUsd)}");
        Output.Line($"model: {a.Model ?? "the workspace's"}   max turns: {a.MaxTurns?.ToString(CultureInfo.InvariantCulture) ?? "-"}   budget per run: {Output.Cost(a.MaxBudgetUsd)}   per day: {Output.Cost(a.DailyBudgetUsd)}");
        if (a.Runs is { Count: > 0 } runs)
        {
            Output.Line("");
            Output.Table(["AT", "OUTCOME", "SESSION", "STATE", "COST", "NOTE"], runs.Select(r => (IReadOnlyList<string>)
                [Output.Time(r.At), Output.Words(r.Outcome), r.SessionId is { } id ? ShortId.Of(id) : "-", r.Status ?? "-", Output.Cost(r.CostUsd), r.Reason ?? ""]), "No runs yet.");
        }
    }

    private static string Schedule(Agent a) => a.Every is { } every ? $"every {every}" : $"cron \"{a.Cron}\" {a.TimeZone}";

}

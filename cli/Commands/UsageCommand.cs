using Konduktor.Core.Contract;
using System.CommandLine;
using System.Globalization;
using Konduktor.Core;
using Konduktor.Core.Quota;

namespace Konduktor.Cli.Commands;

/// <summary><c>konduktor usage</c>: what the workspace's runs cost per day, task and scheduled agent, beside its budgets.</summary>
public static class UsageCommand
{
    public static Command Build()
    {
        var days = new Option<int>("--days") { Description = $"How many days back, today included (1-{UsageLedger.MaxDays})", DefaultValueFactory = _ => 30 };
        return CommandFactory.Create("usage", "What the workspace's runs cost: per day, task and scheduled agent, beside its budgets", async (cli, ct) =>
        {
            var report = await cli.Api.CallAsync(Operations.GetUsage, cli.In(), ct, query: [new("days", cli.Get(days).ToString(CultureInfo.InvariantCulture))]);
            cli.Print(report, Show);
        }, days);
    }

    private static void Show(UsageReport r)
    {
        var total = r.Days.Sum(d => d.CostUsd);
        var today = r.Days.Count > 0 ? r.Days[^1].CostUsd : 0;
        Output.Line($"Workspace {r.Workspace}, {r.From:yyyy-MM-dd} to {r.To:yyyy-MM-dd} (UTC): {Output.Cost(total)} over {r.Days.Sum(d => d.Runs)} run(s)");
        Output.Line($"today:        {Output.Cost(today)}{(r.DailyBudgetUsd is { } daily ? $" of its {Output.Cost(daily)} daily budget" : " (no daily budget)")}; the day resets at {Output.Clock(r.DayResetsAt)}");
        Output.Line($"task budget:  {(r.TaskBudgetUsd is { } task ? $"{Output.Cost(task)} per task, unless a task has its own" : "none by default")}");
        var peak = r.Days.Count == 0 ? 0 : r.Days.Max(d => d.CostUsd);
        Output.Line("");
        Output.Table(["DAY", "COST", "RUNS", ""], r.Days.Where(d => d.Runs > 0 || d.Day == r.To).Select(d => (IReadOnlyList<string>)
            [d.Day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), Output.Cost(d.CostUsd), d.Runs.ToString(CultureInfo.InvariantCulture), Bar(d.CostUsd, peak)]), "No runs in this period.");
        if (r.Tasks.Count > 0)
        {
            Output.Line("");
            Output.Table(["TASK", "COST", "RUNS", "TITLE"], r.Tasks.Select(t => (IReadOnlyList<string>)
                [Guid.TryParse(t.Key, out var id) ? ShortId.Of(id) : t.Key, Output.Cost(t.CostUsd), t.Runs.ToString(CultureInfo.InvariantCulture), Output.Truncate(t.Title ?? "-", 60)]), "No task ran in this period.");
        }

        if (r.Agents.Count > 0)
        {
            Output.Line("");
            Output.Table(["AGENT", "COST", "RUNS"], r.Agents.Select(a => (IReadOnlyList<string>)[a.Key, Output.Cost(a.CostUsd), a.Runs.ToString(CultureInfo.InvariantCulture)]), "No scheduled agent ran in this period.");
        }
    }

    private static string Bar(decimal value, decimal peak) => peak <= 0 || value <= 0 ? "" : new string('#', Math.Max(1, (int)Math.Round(value / peak * 30)));
}

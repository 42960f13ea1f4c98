using System.Text.Json;
using Konduktor.Core.Agents;
using Konduktor.Core.Questions;
using Konduktor.Core.Sessions;
using Konduktor.Core.Tasks;
using Konduktor.Tests.Infrastructure;

namespace Konduktor.Tests.Agents;

/// <summary>A scheduled agent's run through `up` with the stand-in agent: it works through the CLI, inside its workspace only.</summary>
public sealed class AgentEndToEndTests(SessionsHost host) : IClassFixture<SessionsHost>
{
    [Fact]
    public async Task A_scheduled_agent_creates_a_task_and_asks_a_question_from_its_session_attributed_to_it_and_cannot_reach_elsewhere()
    {
        var driver = new SessionDriver(host.Up);
        var (workspace, _) = await driver.CreateWorkspaceAsync();
        var (other, _) = await driver.CreateWorkspaceAsync();
        var prompt = "Find one thing to do.\n" + StandInAgent.Script(
            new { env = new[] { "KONDUKTOR_TASK" } },
            new { konduktor = new[] { "tasks", "create", "--title", "Found by the finder", "--status", "Ideas" } },
            new { konduktor = new[] { "questions", "ask", "Is the billing module in scope?" } },
            new { konduktor = new[] { "-w", other, "tasks", "list" } },
            new { konduktor = new[] { "config", "set", "--model", "opus" } },
            new { konduktor = new[] { "agents", "run-now", "finder" } });
        var created = await host.Up.CliWithInputAsync(prompt, "-w", workspace, "agents", "create", "--name", "finder", "--prompt-file", "-", "--every", "12h", "--max-turns", "20", "--max-budget", "1.5");
        Assert.True(created.ExitCode == 0, created.ToString());
        Assert.Contains("every 12h", created.Output, StringComparison.Ordinal);

        var ran = await host.Up.CliAsync("-w", workspace, "--json", "agents", "run-now", "finder");
        Assert.True(ran.ExitCode == 0, ran.ToString());
        var run = JsonSerializer.Deserialize<AgentRun>(ran.Output, SessionsHost.Json)!;
        var session = await driver.WaitForEndAsync(workspace, run.SessionId!.Value);
        Assert.True(session.Status == SessionStatus.Succeeded, session.Error);
        var logs = string.Join("\n", (await driver.LogsAsync(workspace, session.Id)).Select(e => e.Text));

        var tasks = JsonSerializer.Deserialize<List<TaskItem>>((await host.Up.CliAsync("-w", workspace, "--json", "tasks", "list")).Output, SessionsHost.Json)!;
        var found = Assert.Single(tasks, t => t.Title == "Found by the finder");
        var question = Assert.Single(JsonSerializer.Deserialize<List<Question>>((await host.Up.CliAsync("-w", workspace, "--json", "questions", "list")).Output, SessionsHost.Json)!);
        var shown = JsonSerializer.Deserialize<Agent>((await host.Up.CliAsync("-w", workspace, "--json", "agents", "show", "finder")).Output, SessionsHost.Json)!;
        var agentLogs = await host.Up.CliAsync("-w", workspace, "agents", "logs", "finder");

        var by = $"agent finder (session {session.ShortId})";
        Assert.Equal(SessionKind.ScheduledAgent, session.Kind);
        Assert.Equal(by, found.CreatedBy);
        Assert.Equal("Ideas", found.Status);
        Assert.Equal(by, question.AskedBy);
        Assert.Equal("finder", question.AgentName);
        Assert.Null(question.TaskId);
        Assert.Contains("KONDUKTOR_TASK=", logs, StringComparison.Ordinal);
        Assert.Contains($"may not use workspace {other}", logs, StringComparison.Ordinal);
        Assert.Contains("may not change a workspace", logs, StringComparison.Ordinal);
        Assert.Contains("may not create, change, run or delete scheduled agents: only people may", logs, StringComparison.Ordinal);
        Assert.Equal(1, shown.RunCount);
        Assert.Equal(AgentRunOutcome.Queued, Assert.Single(shown.Runs!).Outcome);
        Assert.Equal("succeeded", shown.Runs![0].Status);
        Assert.True(shown.CostUsd > 0);
        Assert.Equal(20, shown.MaxTurns);
        Assert.Contains("Found by the finder", agentLogs.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_presets_are_listed_and_an_agent_is_made_from_one()
    {
        var (workspace, _) = await new SessionDriver(host.Up).CreateWorkspaceAsync();
        var presets = await host.Up.CliAsync("agents", "presets");
        var created = await host.Up.CliAsync("-w", workspace, "--json", "agents", "create", "--preset", "pr-reviewer");
        var unknown = await host.Up.CliAsync("-w", workspace, "agents", "create", "--preset", "poet");

        foreach (var preset in new[] { "pr-reviewer", "ideator", "bug-fixer", "challenger", "project-runner", "digest" })
        {
            Assert.Contains(preset, presets.Output, StringComparison.Ordinal);
        }

        var agent = JsonSerializer.Deserialize<Agent>(created.Output, SessionsHost.Json)!;
        Assert.Equal(("pr-reviewer", "30m", "pr-reviewer"), (agent.Name, agent.Every, agent.Preset));
        Assert.Equal(1, unknown.ExitCode);
        Assert.Contains("there is no preset 'poet'", unknown.Error, StringComparison.Ordinal);
    }
}

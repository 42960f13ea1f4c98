using System.CommandLine;
using System.Globalization;
using Konduktor.Cli.Hosting;
using Konduktor.Core;
using Konduktor.Core.Runners;
using Konduktor.Runner;
using Microsoft.Extensions.Logging;

namespace Konduktor.Cli.Commands;

/// <summary><c>runner start|status</c> and <c>runners list</c>.</summary>
public static class RunnerCommands
{
    public static Command Build()
    {
        var name = new Option<string?>("--name") { Description = "The runner's name (default: this machine's name); a restart with the same name is the same runner" };
        var capacity = new Option<int>("--capacity") { Description = "Sessions run in parallel", DefaultValueFactory = _ => 2 };
        var agentCommand = new Option<string?>("--agent-command") { Description = "The agent to run instead of `claude` (also KONDUKTOR_AGENT_COMMAND)" };
        var workDir = new Option<string?>("--work-dir") { Description = "Where mirrors and worktrees live (default: KONDUKTOR_HOME/runners/NAME)" };
        var statusName = new Option<string?>("--name") { Description = "Show this runner (default: all)" };
        var cleanup = new Option<int>("--cleanup-interval") { Description = "Seconds between cleanups of finished tasks' worktrees", DefaultValueFactory = _ => 600 };

        return CommandFactory.Group("runner", "Run sessions on this machine",
            CommandFactory.Create("start", "Start a runner: take session jobs from the queue and run agents until Ctrl+C", async (cli, ct) =>
            {
                var url = cli.Home.ApiUrl() ?? throw new CommandFailedException("Konduktor is not running for this home: start it with `./konduktor up` (or set KONDUKTOR_URL)");
                var token = cli.Home.Token() ?? throw new CommandFailedException("no token: start Konduktor with `./konduktor up` (or set KONDUKTOR_TOKEN)");
                if (cli.Get(capacity) is < 1 or > RunnerService.MaxCapacity)
                {
                    throw new CommandFailedException($"--capacity must be between 1 and {RunnerService.MaxCapacity}");
                }

                if (cli.Get(cleanup) < 1)
                {
                    throw new CommandFailedException("--cleanup-interval must be at least 1 second");
                }

                var options = LocalRunner.Options(cli.Home, url, token, cli.Get(name) ?? Environment.MachineName, cli.Get(capacity), cli.Get(agentCommand), cli.Get(workDir))
                    with { CleanupInterval = TimeSpan.FromSeconds(cli.Get(cleanup)) };
                using var shutdown = new ShutdownSignal();
                using var logging = LocalRunner.Logging();
                using var runner = new KonduktorRunner(options, logging.CreateLogger<KonduktorRunner>());
                Output.Line($"Runner {options.Name} starting (capacity {options.Capacity}, agent: {string.Join(' ', options.AgentCommand)}, work dir: {options.WorkDirectory})");
                await runner.RunAsync(shutdown.Token);
                Output.Line($"Runner {options.Name} stopped.");
            }, name, capacity, agentCommand, workDir, cleanup),
            CommandFactory.Create("status", "Show runners: capacity, sessions, last heartbeat", async (cli, ct) =>
                await ListAsync(cli, cli.Get(statusName), ct), statusName));
    }

    public static Command BuildList() =>
        CommandFactory.Group("runners", "The runners that take session jobs",
            CommandFactory.Create("list", "List runners: online, capacity, sessions, last heartbeat", (cli, ct) => ListAsync(cli, null, ct)));

    private static async Task ListAsync(CliContext cli, string? only, CancellationToken ct)
    {
        var runners = await cli.Api.GetAsync<List<RunnerInfo>>("runners", ct);
        cli.Print(runners, all =>
        {
            var shown = all.Where(r => only is null || string.Equals(r.Name, only, StringComparison.OrdinalIgnoreCase)).ToList();
            if (shown.Count == 0)
            {
                Output.Line(only is null ? "No runners. Start one with `konduktor runner start` (`konduktor up` starts one too)." : $"No runner named {only}.");
                return;
            }

            Output.Table(["NAME", "STATE", "CAPACITY", "SESSIONS", "LAST HEARTBEAT", "HOST"], shown.Select(r => (IReadOnlyList<string>)
            [
                r.Name,
                r.Online ? "online" : "offline",
                r.Capacity.ToString(CultureInfo.InvariantCulture),
                r.ActiveSessions.Count == 0 ? "-" : $"{r.ActiveSessions.Count}: {string.Join(",", r.ActiveSessions.Select(ShortId.Of))}",
                r.LastHeartbeatAt?.ToString("u", CultureInfo.InvariantCulture) ?? "-",
                r.Host ?? "-",
            ]));
            foreach (var runner in shown.Where(r => r.Note is not null))
            {
                Output.Line($"{runner.Name}: {runner.Note}");
            }
        });
    }
}

using Konduktor.Core.Contract;
using System.CommandLine;
using System.Globalization;
using Konduktor.Core;
using Konduktor.Core.Runners;
using Konduktor.Runner;
using Konduktor.Runner.Listener;
using System.CommandLine.Parsing;

namespace Konduktor.Cli.Commands;

/// <summary><c>runner start|status</c> and <c>runners list</c>.</summary>
public static class RunnerCommands
{
    public const string AllowUnsandboxedName = "--allow-unsandboxed";
    public const string ShareName = "--share";
    public const string ShareDescription = "A folder every agent may read and write besides its worktree (a package cache shared between sessions); repeat for more";
    public const string AllowUnsandboxedDescription = "Start agents even where they cannot be confined (no bubblewrap, no user namespaces, macOS): they then reach everything this user can";

    public static Command Build()
    {
        var name = new Option<string?>("--name") { Description = "The runner's name (default: this machine's name); a restart with the same name is the same runner" };
        var capacity = new Option<int>("--capacity") { Description = "Sessions run in parallel", DefaultValueFactory = _ => 2 };
        var agentCommand = new Option<string?>("--agent-command") { Description = "The agent to run instead of `claude` (also KONDUKTOR_AGENT_COMMAND)" };
        var account = new Option<string?>("--account") { Description = "The Claude account its agents use, as a label runners share its usage limits by (default: the agent's signed-in email, else user@host; also KONDUKTOR_ACCOUNT)" };
        var workDir = new Option<string?>("--work-dir") { Description = "Where mirrors and worktrees live (default: KONDUKTOR_HOME/runners/NAME)" };
        var statusName = new Option<string?>("--name") { Description = "Show this runner (default: all)" };
        var cleanup = new Option<int>("--cleanup-interval") { Description = "Seconds between cleanups of finished tasks' worktrees", DefaultValueFactory = _ => 600 };
        var url = new Option<string?>("--url") { Description = "The Konduktor API (default: this home's `up`, or KONDUKTOR_URL)" };
        var allowUnsandboxed = new Option<bool>(AllowUnsandboxedName) { Description = AllowUnsandboxedDescription };
        var share = new Option<string[]>(ShareName) { Description = ShareDescription, Arity = ArgumentArity.OneOrMore, AllowMultipleArgumentsPerToken = false };
        var secret = new Option<string?>("--registration-secret") { Description = "The one-time secret from `konduktor runners add NAME` (the credential it buys is kept under KONDUKTOR_HOME)" };

        return CommandFactory.Group("runner", "Run sessions on this machine",
            CommandFactory.Create("start", "Start a runner: take session jobs from the queue and run agents until Ctrl+C", async (cli, ct) =>
            {
                var apiUrl = cli.Get(url) ?? cli.Home.ApiUrl() ?? throw new CommandFailedException("Konduktor is not running for this home: start it with `./konduktor up`, or give --url");
                var runnerName = cli.Get(name) ?? Environment.MachineName;
                var credential = cli.Home.RunnerCredentialFile(runnerName);
                var token = cli.Get(secret) is not null || File.Exists(credential) ? null
                    : cli.Home.Token() ?? throw new CommandFailedException("no credential: give --registration-secret (from `konduktor runners add NAME`), or start Konduktor with `./konduktor up`");
                if (cli.Get(capacity) is < 1 or > RunnerService.MaxCapacity)
                {
                    throw new CommandFailedException($"--capacity must be between 1 and {RunnerService.MaxCapacity}");
                }

                if (cli.Get(cleanup) < 1)
                {
                    throw new CommandFailedException("--cleanup-interval must be at least 1 second");
                }

                if (cli.Get(account) is { } label && !Konduktor.Core.Quota.AccountLimits.IsLabel(label))
                {
                    throw new CommandFailedException("--account is a label of 1-100 printable characters without '/', '\\', '#' or '?' (an email address, a team's name; never a secret)");
                }

                var options = OptionsFor(cli.Home, apiUrl, token, runnerName, cli.Get(capacity), cli.Get(agentCommand), cli.Get(workDir), cli.Get(account))
                    with { CleanupInterval = TimeSpan.FromSeconds(cli.Get(cleanup)), RegistrationSecret = cli.Get(secret), CredentialFile = credential, AllowUnsandboxed = cli.Get(allowUnsandboxed), SharedFolders = SharedFolders(cli.Get(share)) };
                TerminalWriter.Install(); // it may outlive the window it was started in
                using var shutdown = new ShutdownSignal();
                Output.Line($"Runner {options.Name} starting (capacity {options.Capacity}, agent: {string.Join(' ', options.AgentCommand)}, work dir: {options.WorkDirectory})");
                await using var runner = await RunnerProgram.PrepareAsync(options, Output.Line, shutdown.Token);
                await runner.RunAsync(shutdown.Token);
                Output.Line($"Runner {options.Name} stopped.");
            }, name, capacity, agentCommand, workDir, cleanup, url, secret, account, allowUnsandboxed, share),
            CommandFactory.Create("status", "Show runners: capacity, sessions, last heartbeat", async (cli, ct) =>
                await ListAsync(cli, cli.Get(statusName), ct), statusName));
    }

    public static Command BuildList()
    {
        var runnerName = new Argument<string>("name") { Description = "The runner's name" };
        return CommandFactory.Group("runners", "The runners that take session jobs",
            CommandFactory.Create("list", "List runners: online, capacity, sessions, last heartbeat", (cli, ct) => ListAsync(cli, null, ct)),
            CommandFactory.Create("add", "Prepare a runner's registration: prints a one-time secret (valid 24 hours) for `konduktor runner start`", async (cli, ct) =>
            {
                var ticket = await cli.Api.CallAsync(Operations.AddRunner, [], new NewRunnerTicket(cli.Get(runnerName)), ct);
                cli.Print(ticket, t =>
                {
                    Output.Line($"Runner {t.Name} may register until {t.ExpiresAt:u}, once. On the runner's machine:");
                    Output.Line($"  konduktor runner start --url {cli.Home.ApiUrl()} --name {t.Name} --registration-secret {t.Secret}");
                });
            }, runnerName),
            CommandFactory.Create("remove", "Revoke a runner's credential: its next call is refused", async (cli, ct) =>
                cli.Print(await cli.Api.CallAsync(Operations.RemoveRunner, [cli.Get(runnerName)], ct), r => Output.Line($"Runner {r.Name} removed; its credential no longer works.")), runnerName));
    }

    /// <summary>The folders given with --share, each one that exists, as full paths.</summary>
    public static IReadOnlyList<string> SharedFolders(string[]? folders) =>
        (folders ?? []).Select(folder => Directory.Exists(folder) ? Path.GetFullPath(folder) : throw new CommandFailedException($"--share {folder}: no such folder")).ToList();

    /// <summary>A runner's options from this home and the command line: the same for <c>runner start</c> and the runner <c>up</c> starts.</summary>
    public static RunnerOptions OptionsFor(KonduktorHome home, string url, string? token, string name, int capacity, string? agentCommand, string? workDirectory, string? account = null)
    {
        var command = agentCommand
            ?? (Environment.GetEnvironmentVariable("KONDUKTOR_AGENT_COMMAND") is { Length: > 0 } fromEnvironment ? fromEnvironment : RunnerProgram.DefaultAgentCommand);
        var arguments = CommandLineParser.SplitCommandLine(command).ToList();
        if (arguments.Count == 0)
        {
            throw new CommandFailedException("the agent command is empty; give --agent-command CMD (default: claude)");
        }

        var work = Path.GetFullPath(workDirectory ?? home.RunnerWorkDirectory(name));
        return new RunnerOptions
        {
            ApiUrl = new Uri(url),
            UserToken = token,
            Name = name,
            Capacity = capacity,
            AgentCommand = arguments,
            WorkDirectory = work,
            HiddenFromAgents = [home.Root, work],
            KonduktorDirectory = Path.GetDirectoryName(Environment.ProcessPath),
            FilesDirectory = home.RunnerFiles,
            Version = typeof(RunnerCommands).Assembly.GetName().Version?.ToString(),
            Account = account ?? (Environment.GetEnvironmentVariable("KONDUKTOR_ACCOUNT") is { Length: > 0 } label ? label : null),
        };
    }

    private static async Task ListAsync(CliContext cli, string? only, CancellationToken ct)
    {
        var runners = await cli.Api.CallAsync(Operations.ListRunners, [], ct);
        cli.Print(runners, all =>
        {
            var shown = all.Where(r => only is null || string.Equals(r.Name, only, StringComparison.OrdinalIgnoreCase)).ToList();
            Output.Table(["NAME", "STATE", "CAPACITY", "SESSIONS", "LAST HEARTBEAT", "HOST", "ACCOUNT", "AGENT"], shown.Select(r => (IReadOnlyList<string>)
            [
                r.Name,
                !r.Online ? "offline" : !r.Ready ? "not ready" : r.AccountLimit is { IsRejected: true } limit ? $"usage limit until {Output.Clock(limit.Until)}" : "online",
                r.Capacity.ToString(CultureInfo.InvariantCulture),
                r.ActiveSessions.Count == 0 ? "-" : $"{r.ActiveSessions.Count}: {string.Join(",", r.ActiveSessions.Select(ShortId.Of))}",
                Output.Time(r.LastHeartbeatAt),
                r.Host ?? "-",
                r.Account ?? "-",
                r.Agent ?? "-",
            ]), only is null ? "No runners. Start one with `konduktor runner start` (`konduktor up` starts one too)." : $"No runner named {only}.");
            foreach (var runner in shown.Where(r => r is { Online: true, AgentProblem: not null }))
            {
                Output.Line($"{runner.Name}: agent not ready: {runner.AgentProblem}");
            }

            foreach (var runner in shown.Where(r => r.AccountLimit is { IsRejected: false }))
            {
                Output.Line($"{runner.Name}: account {runner.Account} is close to its usage limit ({runner.AccountLimit!.Window?.Replace('_', ' ') ?? "a window"} resets {Output.Time(runner.AccountLimit.Until)})");
            }

            foreach (var runner in shown.Where(r => r.Note is not null))
            {
                Output.Line($"{runner.Name}: {runner.Note}");
            }
        });
    }
}

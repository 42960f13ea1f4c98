using System.CommandLine;
using System.Net;
using System.Net.Sockets;
using Konduktor.Cli;
using Konduktor.Cli.Commands;
using Konduktor.Runner;
using Konduktor.Core.Sessions;
using Konduktor.LocalHost.Durability;
using Microsoft.Extensions.DependencyInjection;
using Konduktor.Runner.Listener;

namespace Konduktor.LocalHost;

/// <summary>
/// <c>konduktor up</c>: the whole system on this machine. Azurite with its data under KONDUKTOR_HOME, the Functions
/// app's own classes served on 127.0.0.1, and (with the Sessions issue) a local runner. Ctrl+C or SIGTERM stops all of it.
/// </summary>
public static class UpCommand
{
    public const string ReadyPrefix = "Konduktor is up at ";
    private const int PreferredPort = 7070;
    private const string LocalRunnerName = "local";
    private const int LocalRunnerCapacity = 2;

    public static Command Build()
    {
        var port = new Option<int?>("--port") { Description = $"The port to serve on (default: {PreferredPort} if free, else any free port; 0 = any free port)" };
        var storage = new Option<string?>("--storage") { Description = "Use this storage connection string instead of starting Azurite" };
        var prefix = new Option<string?>("--storage-prefix") { Description = "Put this prefix (lower-case letters and digits) before every table, queue and container name" };
        var agentCommand = new Option<string?>("--agent-command") { Description = "The agent the local runner starts instead of `claude` (also KONDUKTOR_AGENT_COMMAND)" };
        var noRunner = new Option<bool>("--no-runner") { Description = "Do not start the local runner (start runners with `konduktor runner start`)" };
        var allowUnsandboxed = new Option<bool>(RunnerCommands.AllowUnsandboxedName) { Description = RunnerCommands.AllowUnsandboxedDescription };
        var share = new Option<string[]>(RunnerCommands.ShareName) { Description = RunnerCommands.ShareDescription, Arity = ArgumentArity.OneOrMore };
        return CommandFactory.Create("up", "Run Konduktor on this machine: Azurite, the API, and a local runner", (cli, ct) =>
            RunAsync(cli, cli.Get(port), cli.Get(storage), cli.Get(prefix) ?? "", cli.Get(noRunner) ? null : cli.Get(agentCommand) ?? "", new LocalRunnerConfinement(cli.Get(allowUnsandboxed), RunnerCommands.SharedFolders(cli.Get(share)))),
            port, storage, prefix, agentCommand, noRunner, allowUnsandboxed, share);
    }

    /// <param name="agentCommand">null: no local runner; "": the default agent command.</param>
    /// <param name="confinement">How the local runner confines its agents.</param>
    private static async Task RunAsync(CliContext cli, int? port, string? storage, string prefix, string? agentCommand, LocalRunnerConfinement confinement)
    {
        var home = cli.Home;
        CheckPort(port);
        home.EnsurePrivate();
        using var upLock = TakeLock(home);
        TerminalWriter.Install(); // it may outlive the window it was started in
        using var shutdown = new ShutdownSignal(); // SIGTERM, SIGINT, and SIGHUP when the terminal's window closes
        if (home.ReadUpState() is { AzuritePid: { } leftover })
        {
            await Azurite.StopLeftoverAsync(leftover);
        }

        var token = home.EnsureLocalToken();
        DurableStorage? durable = null;
        try
        {
            if (storage is null)
            {
                durable = await StartStorageAsync(home, shutdown.Token);
                storage = durable.ConnectionString;
            }

            var board = await WebBoard.EnsureBuiltAsync(Step, shutdown.Token);
            Konduktor.Core.Auth.BoardSignIn.EnsureKey(home.BoardKeyFile);
            Step("Starting the host");
            // The host starts while Azurite loads its data (its storage requests wait at the proxy until then).
            var starting = StartHostAsync(port, HostSettings(storage, prefix, token, home), board, shutdown.Token);
            if (durable is not null)
            {
                await StorageReadyAsync(durable, home.AzuriteData, starting);
            }

            await using var host = await starting;
            home.WriteConfig(home.ReadConfig() with { Url = host.Url });
            home.WriteUpState(new UpState(Environment.ProcessId, host.Url, DateTimeOffset.UtcNow, durable?.Azurite.Pid, durable?.Endpoints, prefix));
            Step($"The host serves {host.FunctionCount} functions");
            // An install whose logs are table rows (the layout before chunks) has them moved now, before anyone reads.
            if (await host.Services.GetRequiredService<LogCompactor>().MigrateAsync(TimeSpan.MaxValue, shutdown.Token) is > 0 and var migrated)
            {
                Step($"Moved the logs of {migrated} session(s) into compressed chunks");
            }
            await using var runner = agentCommand is null ? null : await LocalRunner.StartAsync(home, host.Url, token, agentCommand, confinement, shutdown.Token);
            if (board is not null)
            {
                Step($"Board: {host.Services.GetRequiredService<Konduktor.Core.Auth.BoardSignIn>().LinkTo(host.Url)}  (opening it signs this browser in for 30 days; `konduktor open` makes another)");
            }

            Output.Line($"{ReadyPrefix}{host.Url}  (home: {home.Root}; Ctrl+C to stop)");
            if (!FunctionsHost.Verbose)
            {
                Step($"From here this terminal shows only what needs you; everything else is in {Path.Combine(home.Logs, "up-<date>.log")} (KONDUKTOR_LOG=info shows it here)");
            }

            await WaitForStopAsync(runner?.Running ?? Task.CompletedTask, shutdown.Token);
            Step("Stopping");
        }
        finally
        {
            // Last, once nothing writes: the journal's final checkpoint, then Azurite (which saves as it closes).
            if (durable is not null)
            {
                await durable.DisposeAsync();
            }

            File.Delete(home.UpStateFile);
        }

        Output.Line("Konduktor stopped.");
    }

    /// <summary>Azurite with its data under the home, behind the journal that keeps what it acknowledged.</summary>
    private static async Task<DurableStorage> StartStorageAsync(KonduktorHome home, CancellationToken ct)
    {
        var script = await Azurite.EnsureInstalledAsync(home.Tools, Step, ct);
        DurableStorage.PrepareDataFolder(home.AzuriteData, Step);
        Step("Starting Azurite");
        var key = home.EnsureAzuriteKey();
        return await DurableStorage.StartAsync(() => Azurite.StartAsync(script, home.AzuriteData, Path.Combine(home.Logs, "azurite.log"), ct, accountKey: key), key, home.AzuriteData, Step, ct);
    }

    /// <summary>Until Azurite runs with the journal replayed; when it cannot, the host starting meanwhile is stopped and why is told.</summary>
    private static async Task StorageReadyAsync(DurableStorage storage, string dataFolder, Task<FunctionsHost> starting)
    {
        try
        {
            await storage.Ready;
        }
        catch
        {
            await ((Task)starting).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            if (starting.IsCompletedSuccessfully)
            {
                await starting.Result.DisposeAsync();
            }

            throw;
        }

        Step($"Azurite is running on {storage.Azurite.Endpoints} (data in {dataFolder}), reached through {storage.Endpoints}");
    }

    /// <summary>The host's settings: storage and the local token, and any <c>Konduktor__*</c> environment variable.</summary>
    private static Dictionary<string, string?> HostSettings(string storage, string prefix, string token, KonduktorHome home)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Konduktor:Storage:ConnectionString"] = storage,
            ["Konduktor:Storage:Prefix"] = prefix,
            ["Konduktor:LocalToken"] = token,
            ["Konduktor:BoardKeyFile"] = home.BoardKeyFile,
            [FunctionsHost.LogFileSetting] = Path.Combine(home.Logs, "up-.log"),
        };
        foreach (var (key, value) in Environment.GetEnvironmentVariables().Cast<System.Collections.DictionaryEntry>()
            .Select(e => ((string)e.Key, (string?)e.Value)).Where(e => e.Item1.StartsWith("Konduktor__", StringComparison.Ordinal)))
        {
            settings[key.Replace("__", ":", StringComparison.Ordinal)] = value;
        }

        return settings;
    }

    /// <summary>Until a signal, or until the local runner fails (then <c>up</c> fails with why).</summary>
    private static async Task WaitForStopAsync(Task runner, CancellationToken stopping)
    {
        try
        {
            await Task.WhenAny(Task.Delay(Timeout.Infinite, stopping), runner);
            if (runner.IsFaulted)
            {
                throw new CommandFailedException($"the local runner stopped: {runner.Exception?.GetBaseException().Message}");
            }

            await Task.Delay(Timeout.Infinite, stopping);
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>What <c>--allow-unsandboxed</c> and <c>--share</c> tell <c>up</c>'s own runner.</summary>
    private sealed record LocalRunnerConfinement(bool AllowUnsandboxed, IReadOnlyList<string> SharedFolders);

    /// <summary><c>up</c>'s own runner, stopped (its sessions first) when <c>up</c> stops.</summary>
    private sealed class LocalRunner(RunnerProgram program, CancellationTokenSource stopping, Task running) : IAsyncDisposable
    {
        public Task Running => running;

        public static async Task<LocalRunner> StartAsync(KonduktorHome home, string url, string token, string agentCommand, LocalRunnerConfinement confinement, CancellationToken ct)
        {
            var options = RunnerCommands.OptionsFor(home, url, token, LocalRunnerName, LocalRunnerCapacity, agentCommand.Length == 0 ? null : agentCommand, null)
                with { AllowUnsandboxed = confinement.AllowUnsandboxed, SharedFolders = confinement.SharedFolders, LogLevel = FunctionsHost.Verbose ? Microsoft.Extensions.Logging.LogLevel.Information : Microsoft.Extensions.Logging.LogLevel.Warning };
            Step($"Runner {LocalRunnerName} takes sessions (capacity {LocalRunnerCapacity}, agent: {string.Join(' ', options.AgentCommand)})");
            var program = await RunnerProgram.PrepareAsync(options, Step, ct);
            var stopping = new CancellationTokenSource();
            return new LocalRunner(program, stopping, program.RunAsync(stopping.Token));
        }

        public async ValueTask DisposeAsync()
        {
            // A runner that failed on its own has said so (up fails with it); one that fails while it stops says so here.
            var failedAlready = running.IsFaulted;
            await stopping.CancelAsync();
            try
            {
                if (failedAlready)
                {
                    await running.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                }
                else
                {
                    await running;
                }
            }
            finally
            {
                await program.DisposeAsync();
                stopping.Dispose();
            }
        }
    }

    private static void Step(string text) => Output.Line($"» {text}");

    private static FileStream TakeLock(KonduktorHome home)
    {
        try
        {
            return new FileStream(home.UpLockFile, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException)
        {
            var state = home.ReadUpState();
            throw new CommandFailedException(state is null
                ? $"Konduktor is already running for {home.Root}"
                : $"Konduktor is already running at {state.Url} (pid {state.Pid}) for {home.Root}");
        }
    }

    /// <summary>
    /// The host on the port asked for (refused with what to do when something listens there), else on the usual port,
    /// else on any free one: another <c>up</c> starting at the same moment may take the usual port between look and bind.
    /// </summary>
    private static async Task<FunctionsHost> StartHostAsync(int? port, IReadOnlyDictionary<string, string?> settings, string? board, CancellationToken ct)
    {
        var chosen = port ?? (IsFree(PreferredPort) ? PreferredPort : 0);
        try
        {
            return await FunctionsHost.StartAsync(chosen, settings, board, ct);
        }
        catch (FunctionsHost.PortInUseException) when (port is null)
        {
            return await FunctionsHost.StartAsync(0, settings, board, ct);
        }
        catch (FunctionsHost.PortInUseException e)
        {
            throw PortInUse(e.Port);
        }
    }

    /// <summary>A port asked for is checked before anything starts: a number, and free.</summary>
    private static void CheckPort(int? port)
    {
        if (port is { } given && given is < 0 or > 65535)
        {
            throw new CommandFailedException($"--port {given} is not a port number", ExitCodes.Usage);
        }

        if (port is { } asked and > 0 && !IsFree(asked))
        {
            throw PortInUse(asked);
        }
    }

    private static CommandFailedException PortInUse(int port) =>
        new($"port {port} is in use: stop what listens on it (another `konduktor up`?), or choose another with --port (0 takes any free one)");

    private static bool IsFree(int port)
    {
        try
        {
            using var probe = new TcpListener(IPAddress.Loopback, port);
            probe.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}

using System.CommandLine;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Konduktor.Cli;
using Konduktor.Cli.Commands;
using Konduktor.Runner;

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
        return CommandFactory.Create("up", "Run Konduktor on this machine: Azurite, the API, and a local runner", (cli, ct) =>
            RunAsync(cli, cli.Get(port), cli.Get(storage), cli.Get(prefix) ?? "", cli.Get(noRunner) ? null : cli.Get(agentCommand) ?? ""),
            port, storage, prefix, agentCommand, noRunner);
    }

    /// <param name="agentCommand">null: no local runner; "": the default agent command.</param>
    private static async Task RunAsync(CliContext cli, int? port, string? storage, string prefix, string? agentCommand)
    {
        var home = cli.Home;
        CheckPort(port);
        home.EnsurePrivate();
        using var upLock = TakeLock(home);

        using var stopping = new CancellationTokenSource();
        using var onTerm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
        using var onInt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
        using var onHangUp = PosixSignalRegistration.Create(PosixSignal.SIGHUP, Stop); // the terminal's window closed
        void Stop(PosixSignalContext context)
        {
            context.Cancel = true;
            stopping.Cancel();
        }

        if (home.ReadUpState() is { AzuritePid: { } leftover })
        {
            await Azurite.StopLeftoverAsync(leftover);
        }

        var token = home.EnsureLocalToken();
        Azurite? azurite = null;
        try
        {
            if (storage is null)
            {
                var script = await Azurite.EnsureInstalledAsync(home.Tools, Step, stopping.Token);
                Step("Starting Azurite");
                azurite = await Azurite.StartAsync(script, home.AzuriteData, Path.Combine(home.Logs, "azurite.log"), stopping.Token, accountKey: home.EnsureAzuriteKey());
                Step($"Azurite is running on {azurite.Endpoints} (data in {home.AzuriteData})");
                storage = azurite.ConnectionString;
            }

            var board = await WebBoard.EnsureBuiltAsync(Step, stopping.Token);
            var signInCode = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));
            Step("Starting the host");
            var settings = new Dictionary<string, string?>
            {
                ["Konduktor:Storage:ConnectionString"] = storage,
                ["Konduktor:Storage:Prefix"] = prefix,
                ["Konduktor:LocalToken"] = token,
            };
            foreach (var (key, value) in Environment.GetEnvironmentVariables().Cast<System.Collections.DictionaryEntry>()
                .Select(e => ((string)e.Key, (string?)e.Value)).Where(e => e.Item1.StartsWith("Konduktor__", StringComparison.Ordinal)))
            {
                settings[key.Replace("__", ":", StringComparison.Ordinal)] = value;
            }

            await using var host = await StartHostAsync(port, settings, board, signInCode, token, stopping.Token);
            var url = host.Url;
            home.WriteConfig(home.ReadConfig() with { Url = url });
            home.WriteUpState(new UpState(Environment.ProcessId, url, DateTimeOffset.UtcNow, azurite?.Pid, azurite?.Endpoints, prefix));
            Step($"The host serves {host.FunctionCount} functions");

            using var runnerStopping = new CancellationTokenSource();
            RunnerProgram? runner = null;
            var runnerTask = Task.CompletedTask;
            if (agentCommand is not null)
            {
                var options = RunnerCommands.OptionsFor(home, url, token, LocalRunnerName, LocalRunnerCapacity, agentCommand.Length == 0 ? null : agentCommand, null);
                Step($"Runner {LocalRunnerName} takes sessions (capacity {LocalRunnerCapacity}, agent: {string.Join(' ', options.AgentCommand)})");
                runner = await RunnerProgram.PrepareAsync(options, Step, stopping.Token);
                runnerTask = runner.RunAsync(runnerStopping.Token);
            }

            if (board is not null)
            {
                Step($"Board: {url}/auth/local?code={signInCode}  (opening it signs this browser in)");
            }

            Output.Line($"{ReadyPrefix}{url}  (home: {home.Root}; Ctrl+C to stop)");
            try
            {
                await Task.WhenAny(Task.Delay(Timeout.Infinite, stopping.Token), runnerTask);
                if (runnerTask.IsFaulted)
                {
                    throw new CommandFailedException($"the local runner stopped: {runnerTask.Exception?.GetBaseException().Message}");
                }

                await Task.Delay(Timeout.Infinite, stopping.Token);
            }
            catch (OperationCanceledException)
            {
                Step("Stopping");
            }

            await runnerStopping.CancelAsync();
            await runnerTask;
            if (runner is not null)
            {
                await runner.DisposeAsync();
            }
        }
        finally
        {
            if (azurite is not null)
            {
                await azurite.DisposeAsync();
            }

            File.Delete(home.UpStateFile);
        }

        Output.Line("Konduktor stopped.");
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
    private static async Task<FunctionsHost> StartHostAsync(int? port, IReadOnlyDictionary<string, string?> settings, string? board, string signInCode, string token, CancellationToken ct)
    {
        var chosen = port ?? (IsFree(PreferredPort) ? PreferredPort : 0);
        try
        {
            return await FunctionsHost.StartAsync(chosen, settings, board, signInCode, token, ct);
        }
        catch (FunctionsHost.PortInUseException) when (port is null)
        {
            return await FunctionsHost.StartAsync(0, settings, board, signInCode, token, ct);
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

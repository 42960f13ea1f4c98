using Konduktor.Cli;
using Konduktor.Runner.Processes;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Konduktor.LocalHost;

/// <summary>
/// The Storage emulator, from the npm package pinned in the repository's package.json. Started with <c>node</c> on
/// Azurite's own entry script (so the pid we hold is the server's), on free loopback ports, with its data on disk.
/// Its account key is a random one per home (<c>AZURITE_ACCOUNTS</c>), never the public development key: anything
/// else on the machine that can reach the ports still cannot read or write Konduktor's data without it.
/// </summary>
public sealed partial class Azurite : IAsyncDisposable
{
    public const string Version = "3.37.0";

    /// <summary>The emulator's usual account name, kept so data written before the key became private stays readable.</summary>
    public const string AccountName = "devstoreaccount1";

    /// <summary>The development key every Azurite accepts by default; Konduktor's never does.</summary>
    public const string PublicDevelopmentKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
    private readonly Process _process;
    private readonly IReadOnlyList<int> _ports;

    private Azurite(Process process, IReadOnlyList<int> ports, string accountKey)
    {
        _process = process;
        _ports = ports;
        AccountKey = accountKey;
    }

    public string AccountKey { get; }

    /// <summary>A fresh account key: 64 random bytes, base64, as Azure's own are.</summary>
    public int Pid => _process.Id;

    public IReadOnlyList<int> Ports => _ports;

    public string Endpoints => $"127.0.0.1:{_ports[0]}/{_ports[1]}/{_ports[2]}";

    public string ConnectionString => ConnectionStringFor(AccountKey, _ports);

    /// <summary>The account with this key on these ports (the journaling proxy's in front of Azurite).</summary>
    public static string ConnectionStringFor(string accountKey, IReadOnlyList<int> ports) =>
        $"DefaultEndpointsProtocol=http;AccountName={AccountName};AccountKey={accountKey};" +
        $"BlobEndpoint=http://127.0.0.1:{ports[0]}/{AccountName};QueueEndpoint=http://127.0.0.1:{ports[1]}/{AccountName};" +
        $"TableEndpoint=http://127.0.0.1:{ports[2]}/{AccountName};";

    /// <summary>Asks Azurite to save every database now (the preload answers); false when it is not running.</summary>
    public bool AskToSave() => !_process.HasExited && ProcessSignals.SendUser2(_process.Id);

    /// <summary>The esbuild that bundles Azurite (the version pinned in the repository's package.json).</summary>
    public const string BundlerVersion = "0.28.2";

    /// <summary>
    /// Azurite's script to start: its entry script bundled into one file (<c>azurite-bundle.js</c>), installing the
    /// pinned packages when they are missing. When bundling fails, Azurite's own entry script, which starts slower.
    /// </summary>
    public static async Task<string> EnsureInstalledAsync(string toolsFolder, Action<string> step, CancellationToken ct)
    {
        var repository = FindUp(AppContext.BaseDirectory, "package.json", dir => File.ReadAllText(Path.Combine(dir, "package.json")).Contains("\"azurite\"", StringComparison.Ordinal));
        var folder = repository ?? toolsFolder;
        var script = Path.Combine(folder, "node_modules", "azurite", "dist", "src", "azurite.js");
        if (!File.Exists(script) || !Directory.Exists(Path.Combine(folder, "node_modules", "esbuild")))
        {
            await InstallAsync(folder, repository is null, step, ct);
        }

        if (!File.Exists(script))
        {
            throw new CommandFailedException($"npm finished but {script} is missing");
        }

        return await BundleAsync(script, step, ct);
    }

    private static async Task InstallAsync(string folder, bool writePackage, Action<string> step, CancellationToken ct)
    {
        Directory.CreateDirectory(folder);
        if (writePackage)
        {
            await File.WriteAllTextAsync(Path.Combine(folder, "package.json"), $$"""{ "private": true, "dependencies": { "azurite": "{{Version}}", "esbuild": "{{BundlerVersion}}" } }""", ct);
        }

        var command = File.Exists(Path.Combine(folder, "package-lock.json")) ? "ci" : "install";
        step($"Installing Azurite (npm {command})");
        await RunAsync("npm", [command, "--no-audit", "--no-fund", "--loglevel=error"], folder, ct);
    }

    /// <summary>
    /// The bundle beside Azurite's entry script (so what it finds relative to its folder stays where it was), made once
    /// per Azurite version; written under a temporary name and renamed, so concurrent starts never load half a file.
    /// </summary>
    private static async Task<string> BundleAsync(string script, Action<string> step, CancellationToken ct)
    {
        var bundle = Path.Combine(Path.GetDirectoryName(script)!, $"azurite-{Version}.bundle.js");
        if (File.Exists(bundle))
        {
            return bundle;
        }

        step("Bundling Azurite into one file (once; it then starts in half the time)");
        var written = $"{bundle}.{Environment.ProcessId}.{Guid.NewGuid():N}~";
        try
        {
            await RunAsync("node", [Path.Combine(AppContext.BaseDirectory, "azurite-bundle.js"), script, written], Path.GetDirectoryName(script)!, ct);
            File.Move(written, bundle, overwrite: true);
            return bundle;
        }
        catch (CommandFailedException e)
        {
            step($"warning: Azurite could not be bundled ({e.Message}); it starts from its own scripts, slower");
            File.Delete(written);
            return script;
        }
    }

    /// <summary>Starts Azurite; <paramref name="dataFolder"/> null keeps everything in memory (tests).</summary>
    /// <param name="ports">Blob, queue and table ports (default: free ones); given to start again where a stopped one was.</param>
    /// <param name="accountKey">The account's key (default: a new random one); the same key for data kept on disk.</param>
    /// <remarks>
    /// Without <paramref name="ports"/> Azurite binds ports the system chooses (0), and they are read from what it says
    /// as each service listens: a port chosen first and bound later can be taken meanwhile (an outgoing connection gets
    /// one from the same range), which failed `up` with EADDRINUSE under load.
    /// </remarks>
    public static async Task<Azurite> StartAsync(string script, string? dataFolder, string logFile, CancellationToken ct, IReadOnlyList<int>? ports = null, string? accountKey = null)
    {
        accountKey ??= Konduktor.Core.Auth.Secrets.NewStorageAccountKey();
        var listening = new int?[3];
        var process = StartLogged(Command(script, dataFolder, ports ?? [0, 0, 0], accountKey), logFile, line =>
        {
            if (ListeningLine().Match(line) is { Success: true } said)
            {
                listening[Array.IndexOf(Services, said.Groups[1].Value)] = int.Parse(said.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture);
            }
        });
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (listening.Any(port => port is null))
        {
            if (process.HasExited || DateTime.UtcNow > deadline)
            {
                await new Azurite(process, ports ?? [], accountKey).DisposeAsync();
                throw new CommandFailedException($"Azurite did not start (see {logFile})");
            }

            await Task.Delay(50, ct);
        }

        return new Azurite(process, [.. listening.Select(port => port!.Value)], accountKey);
    }

    /// <summary>Azurite's services in the order of its ports (blob, queue, table).</summary>
    private static readonly string[] Services = ["Blob", "Queue", "Table"];

    [System.Text.RegularExpressions.GeneratedRegex(@"^Azurite (Blob|Queue|Table) service is successfully listening at http://[^:]+:(\d+)")]
    private static partial System.Text.RegularExpressions.Regex ListeningLine();

    /// <summary>Azurite on loopback with this account, its data in <paramref name="dataFolder"/> or in memory.</summary>
    private static ProcessStartInfo Command(string script, string? dataFolder, IReadOnlyList<int> ports, string accountKey)
    {
        var start = new ProcessStartInfo("node")
        {
            // Not the terminal's stdin either: a node whose stdin is a terminal that has hung up fails as it exits.
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.Environment["AZURITE_ACCOUNTS"] = $"{AccountName}:{accountKey}";
        if (dataFolder is not null)
        {
            // Terminal signals left to up, and saving on demand for the storage journal's checkpoints (Durability/).
            start.ArgumentList.Add("--require");
            start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "azurite-preload.js"));
            start.Environment["KONDUKTOR_AZURITE_DATA"] = dataFolder;
            start.Environment["KONDUKTOR_AZURITE_SCRIPT"] = script;
        }

        foreach (var argument in new[]
        {
            script, "--skipApiVersionCheck", "--disableProductStyleUrl", "--disableTelemetry",
            "--blobHost", "127.0.0.1", "--blobPort", ports[0].ToString(),
            "--queueHost", "127.0.0.1", "--queuePort", ports[1].ToString(),
            "--tableHost", "127.0.0.1", "--tablePort", ports[2].ToString(),
        })
        {
            start.ArgumentList.Add(argument);
        }

        if (dataFolder is null)
        {
            start.ArgumentList.Add("--inMemoryPersistence");
        }
        else
        {
            Directory.CreateDirectory(dataFolder);
            start.ArgumentList.Add("--location");
            start.ArgumentList.Add(dataFolder);
        }

        return start;
    }

    /// <summary>Starts the process with everything it writes appended to <paramref name="logFile"/>, each line also given to <paramref name="said"/>.</summary>
    private static Process StartLogged(ProcessStartInfo start, string logFile, Action<string> said)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(logFile)!);
        var log = new StreamWriter(new FileStream(logFile, FileMode.Append, FileAccess.Write, FileShare.ReadWrite)) { AutoFlush = true };
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new CommandFailedException("could not start node for Azurite");
        }
        catch (System.ComponentModel.Win32Exception)
        {
            throw new CommandFailedException("Node.js is needed to run Azurite: install Node 20 or later and make sure `node` is on PATH");
        }

        process.StandardInput.Close();
        process.OutputDataReceived += (_, e) => { Append(log, e.Data); if (e.Data is { } line) { said(line); } };
        process.ErrorDataReceived += (_, e) => Append(log, e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        process.Exited += (_, _) => log.Dispose();
        process.EnableRaisingEvents = true;
        return process;
    }

    /// <summary>Stops an Azurite left running by a <c>konduktor up</c> that was killed.</summary>
    public static async Task StopLeftoverAsync(int pid)
    {
        if (ProcessSignals.IsAlive(pid) && ProcessSignals.CommandLine(pid).Contains("azurite", StringComparison.Ordinal))
        {
            using var process = Process.GetProcessById(pid);
            await ProcessSignals.StopAsync(process, TimeSpan.FromSeconds(10));
        }
    }

    public async ValueTask DisposeAsync() => await StopAsync();

    /// <summary>Stops Azurite (it saves as it closes); false when it had not ended 10 s after SIGTERM and was killed.</summary>
    public async Task<bool> StopAsync()
    {
        var stopped = await ProcessSignals.StopAsync(_process, TimeSpan.FromSeconds(10));
        _process.Dispose();
        return stopped;
    }

    private static void Append(StreamWriter log, string? line)
    {
        if (line is null)
        {
            return;
        }

        try
        {
            log.WriteLine(line);
        }
        catch (ObjectDisposedException)
        {
            // The process has exited and its log is closed.
        }
    }


    internal static string? FindUp(string start, string file, Func<string, bool> accept)
    {
        for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, file)) && accept(dir.FullName))
            {
                return dir.FullName;
            }
        }

        return null;
    }

    internal static async Task RunAsync(string file, string[] arguments, string workingDirectory, CancellationToken ct)
    {
        var start = new ProcessStartInfo(file) { WorkingDirectory = workingDirectory, UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new CommandFailedException($"could not start {file}");
        var output = process.StandardOutput.ReadToEndAsync(ct);
        var error = process.StandardError.ReadToEndAsync(ct);
        await process.WaitForExitAsync(ct);
        if (process.ExitCode != 0)
        {
            var tail = string.Join(" ", ((await error) + (await output)).Split('\n', StringSplitOptions.RemoveEmptyEntries).TakeLast(3));
            throw new CommandFailedException($"{file} {string.Join(' ', arguments)} failed ({process.ExitCode}): {tail}");
        }
    }
}

using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using Konduktor.LocalHost;

namespace Konduktor.Tests.Infrastructure;

/// <summary>The built CLI, run as a real process with its own KONDUKTOR_HOME.</summary>
public static class KonduktorCli
{
    public static readonly string RepositoryRoot = FindRoot();

    private static readonly string Configuration = new DirectoryInfo(Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory)).Parent!.Name;

    /// <summary>The CLI built in the same configuration as the tests (the test project references it, so it is built first).</summary>
    public static readonly string Executable = Path.Combine(RepositoryRoot, "cli", "bin", Configuration, "net10.0", "konduktor");

    /// <summary><c>up</c>'s host (localhost/), built beside the CLI: the whole command line with the real <c>up</c>.</summary>
    public static readonly string UpHost = Path.Combine(RepositoryRoot, "localhost", "bin", Configuration, "net10.0", "konduktor-localhost");

    /// <summary>
    /// The native `konduktor` a runner machine downloads, when ./test has published it (KONDUKTOR_TEST_NATIVE): every
    /// command but `up` runs with it, runners included, as on a machine without .NET. Otherwise the build above.
    /// </summary>
    public static readonly string NativeOrBuilt = Environment.GetEnvironmentVariable("KONDUKTOR_TEST_NATIVE") is { Length: > 0 } native ? native : Executable;

    public static ProcessStartInfo StartInfo(string home, IEnumerable<string> arguments, bool redirectInput = false, string? executable = null)
    {
        arguments = arguments.ToList();
        var start = new ProcessStartInfo(executable ?? (arguments.FirstOrDefault() == "up" ? UpHost : NativeOrBuilt))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = redirectInput,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["KONDUKTOR_HOME"] = home;
        start.Environment.Remove("KONDUKTOR_URL");
        start.Environment.Remove("KONDUKTOR_TOKEN");
        start.Environment.Remove("KONDUKTOR_WORKSPACE");
        return start;
    }

    public static async Task<CliResult> RunAsync(string home, string[] arguments, string? stdin = null)
    {
        using var process = Process.Start(StartInfo(home, arguments, stdin is not null))!;
        if (stdin is not null)
        {
            await process.StandardInput.WriteAsync(stdin);
            process.StandardInput.Close();
        }

        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        return new CliResult(process.ExitCode, await output, await error);
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Konduktor.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("cannot find the repository root (Konduktor.sln) above the test binaries");
    }
}

public sealed record CliResult(int ExitCode, string Output, string Error)
{
    public override string ToString() => $"exit {ExitCode}\nstdout: {Output}\nstderr: {Error}";
}

/// <summary>A long-running CLI process (up, a runner): its output captured line by line, stopped as a service manager would.</summary>
public sealed class CapturedProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    public CapturedProcess(ProcessStartInfo start, Action<string?>? onOutputLine = null)
    {
        _process = Process.Start(start)!;
        _process.OutputDataReceived += (_, e) =>
        {
            Append(e.Data);
            onOutputLine?.Invoke(e.Data);
        };
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public bool HasExited => _process.HasExited;

    /// <summary>How the process ended (its exit code, once both outputs are read to their end), or that it has not.</summary>
    public async Task<string> EndedAsync()
    {
        using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            await _process.WaitForExitAsync(patience.Token);
            return $"exit code {_process.ExitCode}";
        }
        catch (OperationCanceledException)
        {
            return "still running with its output closed";
        }
    }

    /// <summary>SIGKILL of this process alone: its children (agents) live on, as after a real crash.</summary>
    public void Crash()
    {
        _process.Kill(entireProcessTree: false);
        _process.WaitForExit();
    }

    /// <summary>SIGSTOP, as a laptop's lid closing: the process stands still (its agents, in their own groups, do not).</summary>
    public void Freeze() => Signal("STOP");

    /// <summary>SIGCONT: the laptop wakes.</summary>
    public void Thaw() => Signal("CONT");

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>Sends SIGTERM, as Ctrl+C or a service manager would, and returns the exit code once it has stopped.</summary>
    public async Task<int> StopAsync()
    {
        if (!_process.HasExited)
        {
            await Konduktor.Runner.Processes.ProcessSignals.StopAsync(_process, TimeSpan.FromSeconds(30));
        }

        return _process.ExitCode;
    }

    /// <summary>SIGINT, as Ctrl+C in a terminal, and the exit code once it has stopped (SIGKILL after 30 s).</summary>
    public Task<int> InterruptAsync() => SignalAndWaitAsync("INT");

    /// <summary>SIGHUP, as a terminal window closing, and the exit code once it has stopped (SIGKILL after 30 s).</summary>
    public Task<int> HangUpAsync() => SignalAndWaitAsync("HUP");

    private async Task<int> SignalAndWaitAsync(string signal)
    {
        Signal(signal);
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            await _process.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync(CancellationToken.None);
        }

        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        Thaw();
        await StopAsync();
        _process.Dispose();
    }

    private void Signal(string name)
    {
        if (!_process.HasExited)
        {
            using var kill = Process.Start("kill", ["-" + name, _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            kill.WaitForExit();
        }
    }

    private void Append(string? line)
    {
        if (line is not null)
        {
            lock (_output)
            {
                _output.AppendLine(line);
            }
        }
    }
}

/// <summary>A running <c>konduktor up</c>: with the shared Azurite (a fresh prefix) or with its own Azurite under its home.</summary>
public sealed class KonduktorUp : IAsyncDisposable
{
    private CapturedProcess _process = null!;

    private KonduktorUp(string home) => Home = home;

    public string Home { get; }

    public string Url { get; private set; } = "";

    public string Token => File.ReadAllText(Path.Combine(Home, "token")).Trim();

    public string Output => _process.Output;

    /// <summary>A port nothing listens on now, for an <c>up</c> that must come back on the same address after a restart.</summary>
    public static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    public static string NewHome() => Directory.CreateTempSubdirectory("konduktor-home-").FullName;

    /// <summary>Starts <c>up</c>; with <paramref name="storage"/> null it starts its own Azurite, data under the home.</summary>
    public static async Task<KonduktorUp> StartAsync(string? home = null, string? storage = null, string? prefix = null, IEnumerable<string>? extraArguments = null, int port = 0, IReadOnlyDictionary<string, string>? environment = null)
    {
        home ??= NewHome();
        var arguments = new List<string> { "up", "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture) };
        if (storage is not null)
        {
            arguments.AddRange(["--storage", storage, "--storage-prefix", prefix ?? AzuriteFixture.NewPrefix()]);
        }

        arguments.AddRange(extraArguments ?? ["--agent-command", StandInAgent.Executable]);
        arguments.AddRange(["--share", SharedWithAgents.Root]);
        var start = KonduktorCli.StartInfo(home, arguments);
        start.Environment["KONDUKTOR_LOG"] = "info"; // tests read what the host did from its output
        StandInAgent.Prepare(start, home);
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        var up = new KonduktorUp(home);
        var ready = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        up._process = new CapturedProcess(start, line =>
        {
            if (line is null)
            {
                ready.TrySetException(new InvalidOperationException("konduktor up closed its output before it was ready"));
            }
            else if (line.StartsWith(UpCommand.ReadyPrefix, StringComparison.Ordinal))
            {
                ready.TrySetResult(line[UpCommand.ReadyPrefix.Length..].Split(' ')[0]);
            }
        });
        try
        {
            up.Url = await ready.Task.WaitAsync(TimeSpan.FromSeconds(90));
        }
        catch (InvalidOperationException)
        {
            // Its stderr may still be on its way when stdout closes: wait for the end, then say all of it and how it ended.
            throw new InvalidOperationException($"konduktor up ended before it was ready ({await up._process.EndedAsync()}):\n{up.Output}");
        }

        return up;
    }

    public Task<CliResult> CliAsync(params string[] arguments) => KonduktorCli.RunAsync(Home, arguments);

    public Task<CliResult> CliWithInputAsync(string stdin, params string[] arguments) => KonduktorCli.RunAsync(Home, arguments, stdin);

    public HttpClient Http(string? token = "")
    {
        var client = new HttpClient { BaseAddress = new Uri(Url) };
        var bearer = token == "" ? Token : token;
        if (bearer is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        }

        return client;
    }

    /// <summary>
    /// SIGKILL of <c>up</c> and its Azurite together, as an out-of-memory kill or a power cut would: nothing is saved on
    /// the way out. Agents, in their own groups, live on.
    /// </summary>
    public void CrashWithAzurite()
    {
        var azurite = new Konduktor.Cli.KonduktorHome(Home).ReadUpState()?.AzuritePid
            ?? throw new InvalidOperationException("this up runs no Azurite of its own");
        _process.Crash();
        using var node = System.Diagnostics.Process.GetProcessById(azurite);
        node.Kill();
        node.WaitForExit();
    }

    public Task<int> StopAsync() => _process.StopAsync();

    public Task<int> InterruptAsync() => _process.InterruptAsync();

    public Task<int> HangUpAsync() => _process.HangUpAsync();

    public ValueTask DisposeAsync() => _process.DisposeAsync();

    /// <summary>Janitor every second, runners orphaned after 4 s of silence, queued jobs re-sent after 3 s: part 2's edge cases, fast.</summary>
    public static readonly IReadOnlyDictionary<string, string> QuickJanitor = new Dictionary<string, string>
    {
        ["Konduktor__Timers__SessionJanitor"] = "*/1 * * * * *",
        ["Konduktor__Sessions__OrphanAfterSeconds"] = "4",
        ["Konduktor__Sessions__LostAfterSeconds"] = "3",
    };
}

/// <summary>A <c>konduktor runner start</c> process using an <c>up</c>'s home (its URL and token).</summary>
public sealed class RunnerProcess : IAsyncDisposable
{
    private readonly CapturedProcess _process;

    private RunnerProcess(CapturedProcess process) => _process = process;

    public string Output => _process.Output;

    /// <param name="share">Whether its agents share <see cref="SharedWithAgents.Root"/> with the tests (their signal files).</param>
    /// <param name="userHome">The runner's own HOME (so its agent's ~/.claude too), as on another machine; default: one inside the Konduktor home.</param>
    public static async Task<RunnerProcess> StartAsync(string home, string name, int capacity = 2, string? workDirectory = null, IEnumerable<string>? extraArguments = null,
        string? userHome = null, string? agentCommand = null, IReadOnlyDictionary<string, string>? environment = null, string? executable = null, bool share = true)
    {
        var arguments = new List<string> { "runner", "start", "--name", name, "--capacity", capacity.ToString(System.Globalization.CultureInfo.InvariantCulture), "--agent-command", agentCommand ?? StandInAgent.Executable };
        arguments.AddRange(extraArguments ?? []);
        if (share)
        {
            arguments.AddRange(["--share", SharedWithAgents.Root]);
        }

        if (workDirectory is not null)
        {
            arguments.AddRange(["--work-dir", workDirectory]);
        }

        var start = KonduktorCli.StartInfo(home, arguments, executable: executable);
        StandInAgent.Prepare(start, home);
        if (userHome is not null)
        {
            start.Environment["HOME"] = userHome;
        }

        foreach (var (variable, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[variable] = value;
        }

        var runner = new RunnerProcess(new CapturedProcess(start));
        await Eventually.WaitAsync(() => runner.Output.Contains($"Runner {name} registered", StringComparison.Ordinal) || runner._process.HasExited, $"runner {name} to register");
        Assert.False(runner._process.HasExited, runner.Output);
        return runner;
    }

    public Task<int> StopAsync() => _process.StopAsync();

    public Task<int> InterruptAsync() => _process.InterruptAsync();

    public Task<int> HangUpAsync() => _process.HangUpAsync();

    /// <summary>SIGKILL, as a crash or a power cut would: no goodbye, no final reports.</summary>
    public void Crash() => _process.Crash();

    public void Freeze() => _process.Freeze();

    public void Thaw() => _process.Thaw();

    public ValueTask DisposeAsync() => _process.DisposeAsync();
}

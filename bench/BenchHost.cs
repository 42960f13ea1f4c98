using System.Diagnostics;
using System.Net.Http.Headers;
using Konduktor.LocalHost;

namespace Konduktor.Bench;

/// <summary>A <c>konduktor up</c> for a bench: its own home and Azurite (data on disk), the CLI as a real process.</summary>
public sealed class BenchHost : IAsyncDisposable
{
    private readonly Process _up;

    private BenchHost(Process up, string home, string url)
    {
        _up = up;
        Home = home;
        Url = url;
        Http = new HttpClient { BaseAddress = new Uri(url) };
        Http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", File.ReadAllText(Path.Combine(home, "token")).Trim());
    }

    public static readonly string Root = FindRoot();

    public static readonly string Cli = Path.Combine(Root, "cli", "bin", "Release", "net10.0", "konduktor");

    /// <summary><c>up</c>'s host (localhost/): the whole command line with the real <c>up</c>.</summary>
    public static readonly string UpHost = Path.Combine(Root, "localhost", "bin", "Release", "net10.0", "konduktor-localhost");

    public static readonly string StandIn = Path.Combine(Root, "tests", "Konduktor.StandInAgent", "bin", "Release", "net10.0", "standin-agent");

    public string Home { get; }

    public string Url { get; }

    public HttpClient Http { get; }

    /// <summary>What <c>up</c> printed until it was ready (the board's sign-in link is in it).</summary>
    public string StartupOutput { get; private init; } = "";

    public static Task<BenchHost> StartAsync(params string[] upArguments) => StartAsync(new Dictionary<string, string>(), upArguments);

    public static Task<BenchHost> StartAsync(IReadOnlyDictionary<string, string> environment, params string[] upArguments) =>
        StartAsync(environment, Directory.CreateTempSubdirectory("konduktor-bench-").FullName, 0, null, upArguments);

    /// <summary>An <c>up</c> on a given home and port (how a bench restarts the host where runners expect it), its output appended to <paramref name="logFile"/>.</summary>
    public static async Task<BenchHost> StartAsync(IReadOnlyDictionary<string, string> environment, string home, int port, string? logFile, params string[] upArguments)
    {
        var start = StartInfo(home, ["up", "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), .. upArguments]);
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        var up = Process.Start(start)!;
        var startup = new System.Text.StringBuilder();
        while (await up.StandardOutput.ReadLineAsync() is { } line)
        {
            startup.AppendLine(line);
            if (line.StartsWith(UpCommand.ReadyPrefix, StringComparison.Ordinal))
            {
                _ = KeepAsync(up.StandardOutput, logFile);
                _ = KeepAsync(up.StandardError, logFile);
                return new BenchHost(up, home, line[UpCommand.ReadyPrefix.Length..].Split(' ')[0]) { StartupOutput = startup.ToString() };
            }
        }

        throw new InvalidOperationException("konduktor up ended before it was ready: " + await up.StandardError.ReadToEndAsync());
    }

    /// <summary>Reads a process's output to its end, appending it to a file when there is one.</summary>
    public static async Task KeepAsync(StreamReader output, string? logFile)
    {
        while (await output.ReadLineAsync() is { } line)
        {
            if (logFile is not null)
            {
                lock (output.BaseStream)
                {
                    File.AppendAllText(logFile, line + "\n");
                }
            }
        }
    }

    /// <summary>A CLI process on this host's home, with HOME and a git identity of its own (for runners and agents).</summary>
    public static ProcessStartInfo StartInfo(string home, IEnumerable<string> arguments, string? executable = null)
    {
        arguments = arguments.ToList();
        var start = new ProcessStartInfo(executable ?? (arguments.FirstOrDefault() == "up" ? UpHost : Cli)) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["KONDUKTOR_HOME"] = home;
        start.Environment["HOME"] = Directory.CreateDirectory(Path.Combine(home, "user-home")).FullName;
        start.Environment["GIT_AUTHOR_NAME"] = start.Environment["GIT_COMMITTER_NAME"] = "Bench";
        start.Environment["GIT_AUTHOR_EMAIL"] = start.Environment["GIT_COMMITTER_EMAIL"] = "bench@example.com";
        return start;
    }

    /// <summary>A <c>konduktor runner start</c> on this host, with its own work directory.</summary>
    public Process StartRunner(string name, int capacity = 2, string? executable = null)
    {
        var runner = Process.Start(StartInfo(Home, ["runner", "start", "--name", name, "--capacity", capacity.ToString(System.Globalization.CultureInfo.InvariantCulture), "--agent-command", StandIn, "--work-dir", Directory.CreateTempSubdirectory($"konduktor-bench-{name}-").FullName], executable))!;
        _ = runner.StandardOutput.ReadToEndAsync();
        _ = runner.StandardError.ReadToEndAsync();
        return runner;
    }

    public async Task RunCliAsync(params string[] arguments)
    {
        using var process = Process.Start(StartInfo(Home, arguments))!;
        await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"konduktor {string.Join(' ', arguments)} failed: {await process.StandardError.ReadToEndAsync()}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await Konduktor.Runner.Processes.ProcessSignals.StopAsync(_up, TimeSpan.FromSeconds(30));
        _up.Dispose();
    }

    /// <summary>A bare repository with one commit on main, standing in for GitHub.</summary>
    public static async Task<string> NewRemoteAsync()
    {
        var root = Directory.CreateTempSubdirectory("konduktor-bench-remote-").FullName;
        var bare = Path.Combine(root, "origin.git");
        var seed = Path.Combine(root, "seed");
        await Git(root, "init", "-q", "--bare", "-b", "main", bare);
        await Git(root, "init", "-q", "-b", "main", seed);
        await File.WriteAllTextAsync(Path.Combine(seed, "README.md"), "bench\n");
        await Git(seed, "add", ".");
        await Git(seed, "-c", "user.name=b", "-c", "user.email=b@example.com", "commit", "-q", "-m", "init");
        await Git(seed, "push", "-q", bare, "main");
        return bare;
    }

    public static async Task Git(string directory, params string[] arguments)
    {
        var start = new ProcessStartInfo("git") { WorkingDirectory = directory, RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var git = Process.Start(start)!;
        await git.StandardOutput.ReadToEndAsync();
        var error = await git.StandardError.ReadToEndAsync();
        await git.WaitForExitAsync();
        if (git.ExitCode != 0)
        {
            throw new InvalidOperationException($"git {string.Join(' ', arguments)}: {error}");
        }
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

        throw new InvalidOperationException("run the bench from inside the repository");
    }
}

/// <summary>Percentiles of a set of timings, printed the same way everywhere.</summary>
public static class Figures
{
    public static double Percentile(IReadOnlyList<double> sorted, double p) =>
        sorted[(int)Math.Min(sorted.Count - 1, Math.Max(0, Math.Ceiling(p * sorted.Count) - 1))];

    public static string Summary(IEnumerable<double> values, params double[] percentiles)
    {
        var sorted = values.Order().ToList();
        return string.Join(", ", percentiles.Select(p => $"p{p * 100:0} {Percentile(sorted, p):0} ms")) + $" ({sorted.Count} samples)";
    }

    public static async Task MeasureAsync(string what, int runs, Func<Task> action)
    {
        await action();
        var times = new List<double>();
        for (var i = 0; i < runs; i++)
        {
            var watch = Stopwatch.StartNew();
            await action();
            times.Add(watch.Elapsed.TotalMilliseconds);
        }

        Console.WriteLine($"{what}: {Summary(times, 0.5, 0.95)} after 1 warm-up");
    }
}

using System.Diagnostics;
using System.Globalization;

namespace Konduktor.Bench;

/// <summary>
/// The native `konduktor` (./publish) against the JIT build, and `./konduktor` as a person types it: CLI start (`--version`) and a
/// `status` round trip to a running host, with `git --version` as the floor; and a runner's resident memory once idle.
/// </summary>
public static class NativeBench
{
    public static async Task<int> RunAsync(int runs)
    {
        var native = Executable();

        await using var host = await BenchHost.StartAsync("--no-runner");
        Console.WriteLine($"bench native: median and 90th percentile of {runs} runs each; the native konduktor is {new FileInfo(native).Length / 1024.0 / 1024:0.0} MB");
        await ReportAsync("git --version (floor)", runs, new ProcessStartInfo("git", ["--version"]));
        await ReportAsync("native   konduktor --version", runs, BenchHost.StartInfo(host.Home, ["--version"], native));
        await ReportAsync("built    konduktor --version", runs, BenchHost.StartInfo(host.Home, ["--version"]));
        await ReportAsync("./konduktor --version (what a person types)", runs, BenchHost.StartInfo(host.Home, ["--version"], Typed));
        await ReportAsync("native   konduktor status (API round trip)", runs, BenchHost.StartInfo(host.Home, ["status"], native));
        await ReportAsync("built    konduktor status (API round trip)", runs, BenchHost.StartInfo(host.Home, ["status"]));
        await ReportAsync("./konduktor status (what a person types)", runs, BenchHost.StartInfo(host.Home, ["status"], Typed));
        Console.WriteLine($"native runner idle RSS: {await IdleRunnerMegabytesAsync(host, native):0.0} MB");
        Console.WriteLine($"built  runner idle RSS: {await IdleRunnerMegabytesAsync(host, BenchHost.Cli):0.0} MB");
        return 0;
    }

    /// <summary>The script the README shows: the native file once it is published for these sources.</summary>
    private static readonly string Typed = Path.Combine(BenchHost.Root, "konduktor");

    /// <summary>The native konduktor ./publish made for this machine.</summary>
    public static string Executable()
    {
        var native = Path.Combine(BenchHost.Root, "artifacts", Platform(), "konduktor");
        return File.Exists(native) ? native : throw new InvalidOperationException($"no native konduktor at {Path.GetRelativePath(BenchHost.Root, native)}; run ./publish first");
    }

    private static async Task ReportAsync(string what, int runs, ProcessStartInfo start)
    {
        start.RedirectStandardOutput = start.RedirectStandardError = true;
        start.UseShellExecute = false;
        await TimeAsync(start);
        var times = new List<double>();
        for (var i = 0; i < runs; i++)
        {
            times.Add(await TimeAsync(start));
        }

        times.Sort();
        Console.WriteLine($"  {what,-44} {times[times.Count / 2],7:0.0} ms  p90 {times[(int)(times.Count * 0.9)],7:0.0} ms");
    }

    private static async Task<double> TimeAsync(ProcessStartInfo start)
    {
        var watch = Stopwatch.StartNew();
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        var elapsed = watch.Elapsed.TotalMilliseconds;
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{start.FileName} {string.Join(' ', start.ArgumentList)} failed: {await error}{await output}");
        }

        return elapsed;
    }

    /// <summary>A `runner start` with nothing to do, 20 s after registering: its resident set as `ps` reports it (Linux and macOS alike).</summary>
    private static async Task<double> IdleRunnerMegabytesAsync(BenchHost host, string executable)
    {
        var name = "idle-" + Path.GetFileName(Path.GetDirectoryName(executable));
        using var runner = Process.Start(BenchHost.StartInfo(host.Home, ["runner", "start", "--name", name, "--agent-command", BenchHost.StandIn, "--work-dir", Directory.CreateTempSubdirectory("konduktor-bench-idle-").FullName], executable))!;
        _ = runner.StandardOutput.ReadToEndAsync();
        _ = runner.StandardError.ReadToEndAsync();
        try
        {
            await Task.Delay(TimeSpan.FromSeconds(20));
            var rss = (await Konduktor.Runner.Processes.ProcessRunner.RunAsync("ps", ["-o", "rss=", "-p", runner.Id.ToString(CultureInfo.InvariantCulture)], null, CancellationToken.None)).Trim();
            return long.Parse(rss, CultureInfo.InvariantCulture) / 1024.0;
        }
        finally
        {
            await Konduktor.Runner.Processes.ProcessSignals.StopAsync(runner, TimeSpan.FromSeconds(30));
        }
    }

    private static string Platform() =>
        (OperatingSystem.IsMacOS() ? "osx-" : "linux-") + (System.Runtime.InteropServices.RuntimeInformation.OSArchitecture == System.Runtime.InteropServices.Architecture.Arm64 ? "arm64" : "x64");
}

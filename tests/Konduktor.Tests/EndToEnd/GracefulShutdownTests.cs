using Konduktor.Tests.Infrastructure;

namespace Konduktor.Tests.EndToEnd;

/// <summary>
/// `up` and `runner start` end cleanly every time: SIGTERM, SIGINT or SIGHUP while agents work and logs stream, several at
/// once, exit 0 with nothing they started left running (agents, what agents started, Azurite).
/// </summary>
public sealed class GracefulShutdownTests(AzuriteFixture azurite)
{
    /// <summary>Six in the suite; <c>KONDUKTOR_SHUTDOWN_CYCLES=30</c> for the long run (its figures are in the closing note).</summary>
    private static readonly int Cycles = int.TryParse(Environment.GetEnvironmentVariable("KONDUKTOR_SHUTDOWN_CYCLES"), out var cycles) ? cycles : 6;

    [Fact]
    public async Task Up_with_its_own_azurite_exits_0_on_sigterm_sigint_or_sighup_under_load_and_leaves_nothing_running()
    {
        AssertSigintReachesChildren();
        var failures = new System.Collections.Concurrent.ConcurrentBag<string>();
        await Parallel.ForEachAsync(Enumerable.Range(0, Cycles), new ParallelOptions { MaxDegreeOfParallelism = 3 }, async (cycle, _) =>
        {
            var home = KonduktorUp.NewHome();
            var up = await KonduktorUp.StartAsync(home);
            var sleep = await StartWorkAsync(up);

            var exit = cycle % 3 == 0 ? await up.StopAsync() : cycle % 3 == 1 ? await up.InterruptAsync() : await up.HangUpAsync();

            await CheckAsync(failures, $"up cycle {cycle} ({Signal(cycle)})", exit, home, sleep, up.Output);
            await up.DisposeAsync();
        });

        Assert.True(failures.IsEmpty, string.Join("\n\n", failures));
    }

    [Fact]
    public async Task A_runner_exits_0_on_sigterm_sigint_or_sighup_with_sessions_running_and_leaves_nothing_running()
    {
        AssertSigintReachesChildren();
        var failures = new System.Collections.Concurrent.ConcurrentBag<string>();
        await Parallel.ForEachAsync(Enumerable.Range(0, Cycles), new ParallelOptions { MaxDegreeOfParallelism = 3 }, async (cycle, _) =>
        {
            // Each cycle's own `up` (and so its own queue): the runner stopped holds this cycle's sessions, no other's.
            await using var up = await KonduktorUp.StartAsync(storage: azurite.ConnectionString, extraArguments: ["--no-runner"]);
            var work = Directory.CreateTempSubdirectory("konduktor-runner-").FullName;
            var runner = await RunnerProcess.StartAsync(up.Home, $"cycle{cycle}", workDirectory: work);
            // Half the cycles stop while the sessions are being set up (just claimed), half while the agents work.
            var sleep = cycle % 3 == 2 ? await StartWorkAsync(up, until: () => runner.Output.Contains(" claimed: ", StringComparison.Ordinal)) : await StartWorkAsync(up);

            var exit = cycle % 3 == 0 ? await runner.StopAsync() : cycle % 3 == 1 ? await runner.InterruptAsync() : await runner.HangUpAsync();

            await CheckAsync(failures, $"runner cycle {cycle} ({Signal(cycle)})", exit, work, sleep, runner.Output);
            await runner.DisposeAsync();
        });

        Assert.True(failures.IsEmpty, string.Join("\n\n", failures));
    }

    /// <summary>
    /// A process started as a background job without job control ignores SIGINT, and so does everything it starts:
    /// then no SIGINT cycle could mean anything. `./test` runs the tests with SIGINT at its default.
    /// </summary>
    private static void AssertSigintReachesChildren()
    {
        var ignored = File.ReadAllLines("/proc/self/status").Single(l => l.StartsWith("SigIgn:", StringComparison.Ordinal))["SigIgn:".Length..].Trim();
        Assert.False((Convert.ToUInt64(ignored, 16) & 0b10) != 0, "SIGINT is ignored in this test process (it was started as a background job): run the tests through ./test, or with `env --default-signal=INT`");
    }

    /// <summary>Each signal that means "stop" in turn: a service manager's, Ctrl+C, a terminal window closing.</summary>
    private static string Signal(int cycle) => (cycle % 3) switch { 0 => "SIGTERM", 1 => "SIGINT", _ => "SIGHUP" };

    /// <summary>Two sessions: one waiting with a child of its own, one streaming logs; returns once both run (or <paramref name="until"/> holds).</summary>
    private static async Task<string> StartWorkAsync(KonduktorUp up, Func<bool>? until = null)
    {
        var driver = new SessionDriver(up);
        var (workspace, _) = await driver.CreateWorkspaceAsync();
        var sleep = MarkedProcesses.NewSleep();
        var waiting = SessionDriver.Signal("waiting");
        var streaming = SessionDriver.Signal("streaming");
        var first = await driver.CreateTaskAsync(workspace, "Waits", StandInAgent.Script(new { spawn = new[] { "sleep", sleep } }, new { touch = waiting }, new { waitFor = waiting + ".never" }));
        var second = await driver.CreateTaskAsync(workspace, "Streams", StandInAgent.Script(new { touch = streaming }, new { flood = 1_000_000, size = 80, delay = 1 }));
        await driver.RunAsync(workspace, first);
        await driver.RunAsync(workspace, second);
        await Eventually.WaitAsync(until ?? (() => File.Exists(waiting) && File.Exists(streaming)), until is null ? "both agents to be at work" : "a session to be claimed");
        return sleep;
    }

    private static async Task CheckAsync(System.Collections.Concurrent.ConcurrentBag<string> failures, string cycle, int exit, string folder, string sleep, string output)
    {
        if (exit != 0)
        {
            failures.Add($"{cycle}: exit code {exit}\n{output[^Math.Min(8000, output.Length)..]}");
        }

        // What the agent started, and anything of this home (Azurite's data folder, the runner's work dir) must be gone.
        try
        {
            await Eventually.WaitAsync(() => MarkedProcesses.WithArgument(sleep).Count == 0 && MarkedProcesses.Mentioning(folder).Count == 0, $"{cycle}: nothing left running", TimeSpan.FromSeconds(15));
        }
        catch (TimeoutException)
        {
            failures.Add($"{cycle}: left running: {string.Join("; ", MarkedProcesses.WithArgument(sleep).Concat(MarkedProcesses.Mentioning(folder)).Select(p => $"{p} {Konduktor.Runner.Processes.ProcessSignals.CommandLine(p)}"))}");
        }
    }
}

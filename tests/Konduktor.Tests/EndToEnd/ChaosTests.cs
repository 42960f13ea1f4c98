using System.Diagnostics;
using Konduktor.Tests.Infrastructure;

namespace Konduktor.Tests.EndToEnd;

/// <summary>
/// The chaos soak's short version (`bench chaos`, which prints its figures): two runners and six tasks while runners are
/// SIGKILLed and frozen, the host restarts and storage goes away for 30 s; every invariant must hold.
/// </summary>
[Collection(nameof(ChaosTests))]
public sealed class ChaosTests
{
    [Fact]
    public async Task A_minute_of_chaos_breaks_no_invariant()
    {
        var bench = Path.Combine(KonduktorCli.RepositoryRoot, "bench", "bin", "Release", "net10.0", "Konduktor.Bench");
        var start = new ProcessStartInfo(bench, ["chaos", "--minutes", "1", "--runners", "2", "--tasks", "6", "--seed", "7"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using var chaos = Process.Start(start)!;
        var output = chaos.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var errors = chaos.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(12));
        await chaos.WaitForExitAsync(limit.Token);

        var printed = await output + await errors;
        Assert.True(chaos.ExitCode == 0, printed);
        Assert.Contains("two agents of one task at once: 0", printed, StringComparison.Ordinal);
        Assert.Matches(@"sessions: [1-9]\d* \(", printed);
        Assert.Contains("violations: 0", printed, StringComparison.Ordinal);
    }
}

/// <summary>The chaos runs alone, after the parallel tests: its own timing is what it measures, and it loads the machine.</summary>
[CollectionDefinition(nameof(ChaosTests), DisableParallelization = true)]
public sealed class RunsAlone;

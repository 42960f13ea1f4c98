using Konduktor.LocalHost;
using Konduktor.LocalHost.Bindings;

[assembly: AssemblyFixture(typeof(Konduktor.Tests.Infrastructure.AzuriteFixture))]

namespace Konduktor.Tests.Infrastructure;

/// <summary>One real Azurite (in memory, from the repository's node_modules) for the whole test run.</summary>
public sealed class AzuriteFixture : IAsyncLifetime
{
    private Azurite? _azurite;

    public string ConnectionString => _azurite?.ConnectionString ?? throw new InvalidOperationException("Azurite has not started");

    public async ValueTask InitializeAsync()
    {
        var script = await Azurite.EnsureInstalledAsync(Path.Combine(Path.GetTempPath(), "konduktor-test-tools"), _ => { }, CancellationToken.None);
        _azurite = await Azurite.StartAsync(script, dataFolder: null, Path.Combine(Path.GetTempPath(), $"konduktor-test-azurite-{Environment.ProcessId}.log"), CancellationToken.None);
    }

    public async ValueTask DisposeAsync()
    {
        if (_azurite is not null)
        {
            await _azurite.DisposeAsync();
        }
    }

    /// <summary>A storage prefix no other test uses, so tests run in parallel against one Azurite.</summary>
    public static string NewPrefix() => "t" + Guid.NewGuid().ToString("N")[..12];
}

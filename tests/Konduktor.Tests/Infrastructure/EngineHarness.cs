using System.Text.Json;
using DurableTask.Core;
using DurableTask.Core.History;
using Konduktor.LocalHost;
using Konduktor.LocalHost.Bindings;
using Konduktor.Core.Auth;
using Konduktor.Core.Projects;
using Konduktor.Core.Tasks;
using Konduktor.Core.Workspaces;
using Konduktor.Functions;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Konduktor.Tests.Infrastructure;

/// <summary>
/// The Functions app's services with the local Durable engine running its orchestrations in process, over the shared
/// Azurite with a storage prefix (and so a task hub) of their own. Starting a second harness on the same prefix after
/// disposing the first is a host restart: a fresh engine that knows only what storage holds.
/// </summary>
public sealed class EngineHarness : IAsyncDisposable
{
    private readonly ServiceProvider _services;
    private readonly LocalDurable _durable;

    private EngineHarness(ServiceProvider services, LocalDurable durable, string prefix)
    {
        (_services, _durable, Prefix) = (services, durable, prefix);
    }

    public string Prefix { get; }

    public Principal Person { get; } = Principal.LocalUser;

    public WorkspaceService Workspaces => _services.GetRequiredService<WorkspaceService>();

    public TaskService Tasks => _services.GetRequiredService<TaskService>();

    public ProjectService Projects => _services.GetRequiredService<ProjectService>();

    public DurableEngine Engine => _services.GetRequiredService<DurableEngine>();

    public Konduktor.Core.Storage.StorageClients Storage => _services.GetRequiredService<Konduktor.Core.Storage.StorageClients>();

    public static async Task<EngineHarness> StartAsync(AzuriteFixture azurite, string? prefix = null, int recheckSeconds = 300)
    {
        prefix ??= AzuriteFixture.NewPrefix();
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Konduktor:Storage:ConnectionString"] = azurite.ConnectionString,
            ["Konduktor:Storage:Prefix"] = prefix,
            ["Konduktor:LocalToken"] = "engine-harness-token",
            ["Konduktor:Projects:RecheckSeconds"] = recheckSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Konduktor:Durable:MaxQueuePollingMilliseconds"] = "500",
        }).Build();
        var services = new ServiceCollection().AddLogging().AddSingleton<IConfiguration>(configuration).AddKonduktorFunctions(configuration).BuildServiceProvider();
        var durable = await LocalDurable.StartAsync(typeof(KonduktorFunctionsServices).Assembly, services, CancellationToken.None);
        return new EngineHarness(services, durable, prefix);
    }

    public async Task<Workspace> NewWorkspaceAsync()
    {
        var created = await Workspaces.CreateAsync(Person, new NewWorkspace { Repository = "https://github.com/myorg/" + Guid.NewGuid().ToString("N")[..8] }, CancellationToken.None);
        return created.Value ?? throw new InvalidOperationException(created.Failure!.Message);
    }

    public async Task<Project> ProjectAsync(Workspace workspace, Project project) =>
        (await Projects.GetAsync(Person, workspace.Name, project.ShortId, CancellationToken.None)).Value!;

    /// <summary>Waits until the project satisfies <paramref name="condition"/> (what the orchestration wrote).</summary>
    public Task<Project> WaitForAsync(Workspace workspace, Project project, Func<Project, bool> condition, string what, TimeSpan? timeout = null) =>
        Eventually.WaitAsync(async () => await ProjectAsync(workspace, project) is var current && condition(current) ? current : null, what, timeout ?? TimeSpan.FromSeconds(30));

    /// <summary>The project's orchestration as the engine stored it: its current execution and that execution's history.</summary>
    public async Task<(OrchestrationState State, IReadOnlyList<(EventType Type, string? Name)> History)> OrchestrationAsync(Project project)
    {
        var state = (await Engine.Client.GetOrchestrationStateAsync(ProjectRun.InstanceIdOf(project.Id), allExecutions: false)).Single();
        var history = JsonDocument.Parse(await Engine.Client.GetOrchestrationHistoryAsync(state.OrchestrationInstance)).RootElement.EnumerateArray()
            .Select(e => ((EventType)e.GetProperty("EventType").GetInt32(), e.TryGetProperty("Name", out var name) ? name.GetString() : null))
            .ToList();
        return (state, history);
    }

    public async ValueTask DisposeAsync()
    {
        await _durable.DisposeAsync();
        await _services.DisposeAsync();
    }
}

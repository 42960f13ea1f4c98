using DurableTask.AzureStorage;
using DurableTask.Core;
using DurableTask.Core.Exceptions;
using DurableTask.Core.Serializing;
using Konduktor.Core.Projects;
using Konduktor.Core.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace Konduktor.Functions;

/// <summary>Where orchestrations live: a Durable Task Framework task hub on the installation's storage account.</summary>
public sealed record DurableOptions
{
    /// <summary>Letters and digits; in Azure it must equal host.json's <c>extensions.durableTask.hubName</c>.</summary>
    public required string TaskHub { get; init; }

    /// <summary>How long the engine's idle queue polling backs off to at most (local engine only; Azure reads host.json).</summary>
    public TimeSpan MaxQueuePollingInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The safety net: how often a waiting project orchestration re-checks without being signalled.</summary>
    public TimeSpan ProjectRecheck { get; init; } = TimeSpan.FromMinutes(5);

    public static DurableOptions From(IConfiguration configuration, StorageOptions storage) => new()
    {
        TaskHub = configuration["Konduktor:Durable:TaskHub"] is { Length: > 0 } hub ? hub : "konduktor" + storage.Prefix,
        MaxQueuePollingInterval = TimeSpan.FromMilliseconds(configuration.GetValue("Konduktor:Durable:MaxQueuePollingMilliseconds", 1000.0)),
        ProjectRecheck = TimeSpan.FromSeconds(configuration.GetValue("Konduktor:Projects:RecheckSeconds", 300.0)),
    };
}

/// <summary>
/// The Durable Task Framework's Azure Storage backend for the installation's task hub — the engine Durable Functions
/// runs on. In Azure the Functions host runs the orchestrations and this is only a client (it starts and signals them
/// straight through the task hub's queues, so any class can, not just functions with a client binding); under
/// <c>konduktor up</c> the local host also runs the orchestrations on it.
/// </summary>
public sealed class DurableEngine(StorageOptions storage, DurableOptions options, ILoggerFactory loggers)
{
    private readonly Lazy<AzureStorageOrchestrationService> _service = new(() => new AzureStorageOrchestrationService(new AzureStorageOrchestrationServiceSettings
    {
        StorageAccountClientProvider = storage.ConnectionString is { } connection
            ? new StorageAccountClientProvider(connection)
            : new StorageAccountClientProvider(storage.AccountName!, new Azure.Identity.DefaultAzureCredential()),
        TaskHubName = options.TaskHub,
        MaxQueuePollingInterval = options.MaxQueuePollingInterval,
        LoggerFactory = loggers,
    }));

    private TaskHubClient? _client;

    public AzureStorageOrchestrationService Service => _service.Value;

    public DurableOptions Options => options;

    /// <summary>One client, made on first use; inputs as plain JSON (no .NET type names), as the Microsoft.DurableTask worker reads them.</summary>
    public TaskHubClient Client => LazyInitializer.EnsureInitialized(ref _client, () => new TaskHubClient(
        Service, new JsonDataConverter(new Newtonsoft.Json.JsonSerializerSettings { TypeNameHandling = Newtonsoft.Json.TypeNameHandling.None }), loggers));
}

/// <summary>Core's view of the engine: start a project's orchestration, signal it.</summary>
public sealed class DurableProjectOrchestrations(DurableEngine engine, ILogger<DurableProjectOrchestrations> logger) : IProjectOrchestrations
{
    private static readonly OrchestrationStatus[] Running = [OrchestrationStatus.Pending, OrchestrationStatus.Running, OrchestrationStatus.ContinuedAsNew];

    public async Task StartAsync(ProjectRun run, CancellationToken ct)
    {
        var input = new ProjectOrchestrationInput(run.WorkspaceId, run.ProjectId, (int)engine.Options.ProjectRecheck.TotalSeconds);
        try
        {
            await engine.Client.CreateOrchestrationInstanceAsync(ProjectOrchestration.Name, "", ProjectRun.InstanceIdOf(run.ProjectId), input, tags: null, dedupeStatuses: Running);
            logger.LogInformation("Orchestration started for project {ProjectId}", run.ProjectId);
        }
        catch (OrchestrationAlreadyExistsException)
        {
            logger.LogInformation("Orchestration of project {ProjectId} already runs", run.ProjectId);
        }
    }

    public Task SignalAsync(ProjectRun run, CancellationToken ct) =>
        engine.Client.RaiseEventAsync(new OrchestrationInstance { InstanceId = ProjectRun.InstanceIdOf(run.ProjectId) }, ProjectOrchestration.Changed, null!);
}

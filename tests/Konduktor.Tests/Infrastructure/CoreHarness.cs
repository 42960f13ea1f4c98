using Konduktor.Core;
using Konduktor.Core.Auth;
using Konduktor.Core.Runners;
using Konduktor.Core.Sessions;
using Konduktor.Core.Storage;
using Konduktor.Core.Tasks;
using Konduktor.Core.Workspaces;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Konduktor.Tests.Infrastructure;

/// <summary>Core's services over the shared Azurite, with a storage prefix of their own: no host, real storage.</summary>
public sealed class CoreHarness : IAsyncDisposable
{
    private readonly ServiceProvider _services;

    /// <param name="prefix">Another harness's <see cref="Prefix"/>: a second host over the same storage.</param>
    public CoreHarness(AzuriteFixture azurite, IIdGenerator? ids = null, TimeProvider? clock = null, string? prefix = null)
    {
        Prefix = prefix ?? AzuriteFixture.NewPrefix();
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Konduktor:Storage:ConnectionString"] = azurite.ConnectionString,
            ["Konduktor:Storage:Prefix"] = Prefix,
            ["Konduktor:LocalToken"] = "core-harness-token",
        }).Build();
        var services = new ServiceCollection().AddLogging();
        if (ids is not null)
        {
            services.AddSingleton(ids);
        }

        if (clock is not null)
        {
            services.AddSingleton(clock);
        }

        services.AddSingleton<Konduktor.Core.Projects.IProjectOrchestrations>(Orchestrations);
        _services = services.AddKonduktorCore(configuration).BuildServiceProvider();
    }

    public string Prefix { get; }

    /// <summary>No engine runs here: what core asked of it is recorded (tests drive the orchestration's steps themselves).</summary>
    public RecordingOrchestrations Orchestrations { get; } = new();

    public Principal Person { get; } = Principal.LocalUser;

    public WorkspaceService Workspaces => _services.GetRequiredService<WorkspaceService>();

    public TaskService Tasks => _services.GetRequiredService<TaskService>();

    public StorageClients Storage => _services.GetRequiredService<StorageClients>();

    public SessionStarts Starts => _services.GetRequiredService<SessionStarts>();

    public AutoRuns AutoRuns => _services.GetRequiredService<AutoRuns>();

    /// <summary>Any other core service.</summary>
    public T Services<T>() where T : notnull => _services.GetRequiredService<T>();

    public SessionStops Stops => _services.GetRequiredService<SessionStops>();

    public SessionReads Sessions => _services.GetRequiredService<SessionReads>();

    public SessionClaims Claims => _services.GetRequiredService<SessionClaims>();

    public SessionReports Reports => _services.GetRequiredService<SessionReports>();

    public Konduktor.Core.Projects.ProjectService Projects => _services.GetRequiredService<Konduktor.Core.Projects.ProjectService>();

    public Konduktor.Core.Questions.QuestionService Questions => _services.GetRequiredService<Konduktor.Core.Questions.QuestionService>();

    public Konduktor.Core.Agents.AgentService Agents => _services.GetRequiredService<Konduktor.Core.Agents.AgentService>();

    public Konduktor.Core.Docs.DocService Docs => _services.GetRequiredService<Konduktor.Core.Docs.DocService>();

    public SessionLogs Logs => _services.GetRequiredService<SessionLogs>();

    public LogCompactor Compactor => _services.GetRequiredService<LogCompactor>();

    public LogChunks Chunks => _services.GetRequiredService<LogChunks>();

    public TimeProvider Clock => _services.GetRequiredService<TimeProvider>();

    public RunnerService Runners => _services.GetRequiredService<RunnerService>();

    public IAuthenticator Authenticator => _services.GetRequiredService<IAuthenticator>();

    /// <summary>Registers a runner and returns the principal its token authenticates as.</summary>
    public async Task<Principal> NewRunnerAsync(string name)
    {
        var registration = (await Runners.RegisterAsync(Person, new RegisterRunner { Name = name, Capacity = 2 }, CancellationToken.None)).Value!;
        return (await Runners.AuthenticateAsync(registration.Token, CancellationToken.None)).Value!;
    }

    public async Task<Workspace> NewWorkspaceAsync(string repository = "https://github.com/myorg/myrepo")
    {
        var created = await Workspaces.CreateAsync(Person, new NewWorkspace { Repository = repository }, CancellationToken.None);
        return created.Value ?? throw new InvalidOperationException(created.Failure!.Message);
    }

    public ValueTask DisposeAsync() => _services.DisposeAsync();
}

/// <summary>Hands out chosen ids first (to forge colliding prefixes), then random ones.</summary>
public sealed class ForgedIds(params Guid[] ids) : IIdGenerator
{
    private readonly Queue<Guid> _ids = new(ids);

    public Guid NewId()
    {
        lock (_ids)
        {
            return _ids.Count > 0 ? _ids.Dequeue() : Guid.NewGuid();
        }
    }
}

/// <summary>Stands where the Durable engine would: records the projects core started and signalled.</summary>
public sealed class RecordingOrchestrations : Konduktor.Core.Projects.IProjectOrchestrations
{
    public System.Collections.Concurrent.ConcurrentQueue<Guid> Started { get; } = new();

    public System.Collections.Concurrent.ConcurrentQueue<Guid> Signalled { get; } = new();

    public Task StartAsync(Konduktor.Core.Projects.ProjectRun run, CancellationToken ct)
    {
        Started.Enqueue(run.ProjectId);
        return Task.CompletedTask;
    }

    public Task SignalAsync(Konduktor.Core.Projects.ProjectRun run, CancellationToken ct)
    {
        Signalled.Enqueue(run.ProjectId);
        return Task.CompletedTask;
    }
}

using System.Net;
using System.Reflection;
using System.Text.Json;
using DurableTask.Core;
using Grpc.Net.Client;
using Konduktor.Functions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Testing.Sidecar.Grpc;
using Microsoft.DurableTask.Worker;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Konduktor.LocalHost.Bindings;

/// <summary>
/// The Functions app's orchestrations, run by the local host on the engine Durable Functions runs on in Azure: the
/// Durable Task Framework's Azure Storage backend (<see cref="DurableEngine"/>), here against Azurite, so their state
/// survives a restart. The Microsoft.DurableTask worker (which runs <c>[OrchestrationTrigger]</c> code) talks gRPC to a
/// sidecar, as it does to the Functions host in Azure; the sidecar (<see cref="TaskHubGrpcServer"/>) fronts the
/// backend on a loopback port. Orchestrator and activity functions are discovered from their attributes, like the
/// HTTP and timer functions; activities get their class from DI and their input as the declared type.
/// </summary>
public sealed class LocalDurable : IAsyncDisposable
{
    private readonly WebApplication _sidecar;
    private readonly IHost _worker;
    private readonly GrpcChannel _channel;
    private readonly IOrchestrationService _backend;

    private LocalDurable(WebApplication sidecar, IHost worker, GrpcChannel channel, IOrchestrationService backend, int count)
    {
        (_sidecar, _worker, _channel, _backend) = (sidecar, worker, channel, backend);
        Count = count;
    }

    /// <summary>How many orchestrator and activity functions run.</summary>
    public int Count { get; }

    public static async Task<LocalDurable> StartAsync(Assembly assembly, IServiceProvider services, CancellationToken ct)
    {
        var engine = services.GetRequiredService<DurableEngine>();
        var loggers = services.GetRequiredService<ILoggerFactory>();
        await engine.Service.CreateIfNotExistsAsync();
        var backend = StopSafeOrchestrationService.Over(engine.Service);

        var sidecarBuilder = LocalWebApplication.CreateBuilder("Konduktor.Durable");
        sidecarBuilder.WebHost.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, listen => listen.Protocols = HttpProtocols.Http2));
        sidecarBuilder.Services.AddSingleton<IHostLifetime, OwnedLifetime>();
        sidecarBuilder.Services.AddSingleton(loggers);
        sidecarBuilder.Services.AddGrpc();
        sidecarBuilder.Services.AddSingleton(backend);
        sidecarBuilder.Services.AddSingleton<IOrchestrationServiceClient>(engine.Service);
        sidecarBuilder.Services.AddSingleton<TaskHubGrpcServer>();
        var sidecar = sidecarBuilder.Build();
        sidecar.MapGrpcService<TaskHubGrpcServer>();
        await sidecar.StartAsync(ct);
        var address = sidecar.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var channel = GrpcChannel.ForAddress(address);

        var functions = FunctionCatalog.Discover(assembly).Where(f => f.Trigger is TriggerKind.Orchestration or TriggerKind.Activity).Select(FunctionInvoker.For).ToList();
        var workerBuilder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings { EnvironmentName = "Production" });
        workerBuilder.Services.AddSingleton<IHostLifetime, OwnedLifetime>();
        workerBuilder.Services.AddSingleton(loggers);
        workerBuilder.Services.AddDurableTaskWorker(worker =>
        {
            worker.AddTasks(registry =>
            {
                foreach (var invoker in functions)
                {
                    if (invoker.Function.Trigger == TriggerKind.Orchestration)
                    {
                        // Orchestrators are static and replayed: no services, no scope.
                        registry.AddOrchestratorFunc<object?, object?>(invoker.Function.Name, (context, input) =>
                            invoker.InvokeAsync(new Invocation(services, context, CancellationToken.None, Input: input)));
                    }
                    else
                    {
                        registry.AddActivityFunc<object?, object?>(invoker.Function.Name, async (_, input) =>
                        {
                            using var scope = services.CreateScope();
                            return await invoker.InvokeAsync(new Invocation(scope.ServiceProvider, input, CancellationToken.None));
                        });
                    }
                }
            });
            worker.UseGrpc(options =>
            {
                options.Channel = channel;
                // The sidecar is in this process and sends no health pings: an idle stream is not a lost one, so the
                // worker's silent-disconnect check (a reconnect and a warning every two idle minutes) is off.
                Microsoft.DurableTask.Worker.Grpc.Internal.InternalOptionsExtensions.SetSilentDisconnectTimeout(options, TimeSpan.Zero);
            });
        });
        var workerHost = workerBuilder.Build();
        await workerHost.StartAsync(ct);
        return new LocalDurable(sidecar, workerHost, channel, backend, functions.Count);
    }

    public async ValueTask DisposeAsync()
    {
        await _worker.StopAsync(CancellationToken.None);
        _worker.Dispose();
        await _sidecar.StopAsync(CancellationToken.None);
        await _sidecar.DisposeAsync();
        _channel.Dispose();
        // Forced: the worker has stopped, so a work item it still held will never complete; a graceful stop waited a
        // minute for it for nothing. Its messages become visible again for the next start, as after a crash.
        await _backend.StopAsync(isForced: true);
    }
}

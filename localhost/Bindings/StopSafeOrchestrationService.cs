using System.Reflection;
using System.Runtime.ExceptionServices;
using DurableTask.Core;

namespace Konduktor.LocalHost.Bindings;

/// <summary>
/// The orchestration backend as the Durable sidecar sees it, with a stop that is always safe. The sidecar starts the
/// backend only once a worker has connected, but stops it whenever its host stops; the Azure Storage backend, stopped
/// before it started, throws a NullReferenceException inside the sidecar's <c>async void</c> handler, which ends the
/// process (seen when <c>up</c> was stopped the moment it was ready). Here a stop waits for a start in flight, does
/// nothing when none began, and happens once; every other call goes straight to the backend.
/// </summary>
public class StopSafeOrchestrationService : DispatchProxy
{
    private readonly Lock _gate = new();
    private IOrchestrationService _backend = null!;
    private Task? _started;
    private Task? _stopped;

    /// <summary>The backend behind a stop that is always safe.</summary>
    public static IOrchestrationService Over(IOrchestrationService backend)
    {
        var service = Create<IOrchestrationService, StopSafeOrchestrationService>();
        ((StopSafeOrchestrationService)(object)service)._backend = backend;
        return service;
    }

    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
    {
        ArgumentNullException.ThrowIfNull(targetMethod);
        lock (_gate)
        {
            switch (targetMethod.Name)
            {
                case nameof(IOrchestrationService.StartAsync) when _stopped is null:
                    return _started ??= _backend.StartAsync();
                case nameof(IOrchestrationService.StartAsync):
                    return Task.CompletedTask;
                case nameof(IOrchestrationService.StopAsync):
                    return _stopped ??= StopAsync(_started, args is [true]);
            }
        }

        try
        {
            return targetMethod.Invoke(_backend, args);
        }
        catch (TargetInvocationException e) when (e.InnerException is not null)
        {
            ExceptionDispatchInfo.Throw(e.InnerException);
            throw;
        }
    }

    private async Task StopAsync(Task? started, bool forced)
    {
        if (started is null)
        {
            return;
        }

        await started.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        if (started.IsCompletedSuccessfully)
        {
            await _backend.StopAsync(forced);
        }
    }
}

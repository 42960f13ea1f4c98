using System.Reflection;
using Cronos;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Konduktor.LocalHost.Bindings;

/// <summary>
/// The Functions app's timer functions, run on their own schedules by the local host: discovered from their
/// <c>[Function]</c> + <c>[TimerTrigger]</c> attributes, like the HTTP functions. <c>Konduktor:Timers:&lt;name&gt;</c>
/// overrides a schedule locally (tests run the janitor every second).
/// </summary>
public sealed class LocalTimers : IAsyncDisposable
{
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<Task> _loops = [];

    private LocalTimers()
    {
    }

    public int Count => _loops.Count;

    public static LocalTimers Start(Assembly assembly, IServiceProvider services)
    {
        var timers = new LocalTimers();
        var configuration = services.GetRequiredService<IConfiguration>();
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger<LocalTimers>();
        foreach (var function in FunctionCatalog.Discover(assembly).Where(f => f.Trigger == TriggerKind.Timer))
        {
            var cron = CronExpression.Parse(configuration[$"Konduktor:Timers:{function.Name}"] ?? function.Schedule!, CronFormat.IncludeSeconds);
            var invoker = FunctionInvoker.For(function);
            timers._loops.Add(Task.Run(() => timers.LoopAsync(invoker, cron, services, logger)));
        }

        return timers;
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        await Task.WhenAll(_loops);
        _stopping.Dispose();
    }

    private async Task LoopAsync(FunctionInvoker invoker, CronExpression cron, IServiceProvider services, ILogger logger)
    {
        var ct = _stopping.Token;
        while (!ct.IsCancellationRequested)
        {
            var now = DateTimeOffset.UtcNow;
            var next = cron.GetNextOccurrence(now, TimeZoneInfo.Utc) ?? now.AddMinutes(1);
            try
            {
                await Task.Delay(next - now, ct);
                using var scope = services.CreateScope();
                await invoker.InvokeAsync(new Invocation(scope.ServiceProvider, null, ct));
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                logger.LogError(e, "Timer function {Function} failed; it runs again at its next occurrence", invoker.Function.Name);
            }
        }
    }
}

using System.Reflection;
using Cronos;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Konduktor.Cli.Hosting;

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
        foreach (var (method, name, schedule) in Discover(assembly))
        {
            var cron = CronExpression.Parse(configuration[$"Konduktor:Timers:{name}"] ?? schedule, CronFormat.IncludeSeconds);
            timers._loops.Add(Task.Run(() => timers.LoopAsync(method, name, cron, services, logger)));
        }

        return timers;
    }

    public static IEnumerable<(MethodInfo Method, string Name, string Schedule)> Discover(Assembly assembly) =>
        from type in assembly.GetTypes()
        where type is { IsClass: true, IsAbstract: false }
        from method in type.GetMethods(BindingFlags.Public | BindingFlags.Instance)
        let function = method.GetCustomAttribute<FunctionAttribute>()
        let trigger = method.GetParameters().Select(p => p.GetCustomAttribute<TimerTriggerAttribute>()).FirstOrDefault(a => a is not null)
        where function is not null && trigger is not null
        select (method, function.Name, trigger.Schedule);

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        await Task.WhenAll(_loops);
        _stopping.Dispose();
    }

    private async Task LoopAsync(MethodInfo method, string name, CronExpression cron, IServiceProvider services, ILogger logger)
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
                var target = ActivatorUtilities.GetServiceOrCreateInstance(scope.ServiceProvider, method.DeclaringType!);
                var arguments = method.GetParameters().Select(p =>
                    p.ParameterType == typeof(TimerInfo) ? new TimerInfo()
                    : p.ParameterType == typeof(CancellationToken) ? ct
                    : scope.ServiceProvider.GetRequiredService(p.ParameterType)).ToArray();
                if (method.Invoke(target, arguments) is Task task)
                {
                    await task;
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                logger.LogError(e, "Timer function {Function} failed; it runs again at its next occurrence", name);
            }
        }
    }
}

using System.Reflection;
using Azure;
using Azure.Storage.Queues;
using Konduktor.Core.Storage;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Konduktor.Cli.Hosting;

/// <summary>
/// The Functions app's queue functions, run by the local host as the Functions host runs them in Azure: discovered from
/// their <c>[Function]</c> + <c>[QueueTrigger]</c> attributes, fed from the same queue (with the storage prefix), a
/// message deleted once its function returns, made visible again when it throws, and moved to <c>&lt;queue&gt;-poison</c>
/// after five tries (host.json's <c>maxDequeueCount</c>).
/// </summary>
public sealed class LocalQueues : IAsyncDisposable
{
    private const int MaxDequeueCount = 5;
    private static readonly TimeSpan Visibility = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan RetryAfter = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan MaxIdlePoll = TimeSpan.FromSeconds(5);
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<Task> _loops = [];

    private LocalQueues()
    {
    }

    public int Count => _loops.Count;

    public static LocalQueues Start(Assembly assembly, IServiceProvider services)
    {
        var queues = new LocalQueues();
        var storage = services.GetRequiredService<StorageClients>();
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger<LocalQueues>();
        foreach (var (method, name, queue) in Discover(assembly))
        {
            queues._loops.Add(Task.Run(() => queues.LoopAsync(method, name, queue, storage, services, logger)));
        }

        return queues;
    }

    public static IEnumerable<(MethodInfo Method, string Name, string Queue)> Discover(Assembly assembly) =>
        from type in assembly.GetTypes()
        where type is { IsClass: true, IsAbstract: false }
        from method in type.GetMethods(BindingFlags.Public | BindingFlags.Instance)
        let function = method.GetCustomAttribute<FunctionAttribute>()
        let trigger = method.GetParameters().Select(p => p.GetCustomAttribute<QueueTriggerAttribute>()).FirstOrDefault(a => a is not null)
        where function is not null && trigger is not null
        select (method, function.Name, trigger.QueueName);

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        await Task.WhenAll(_loops);
        _stopping.Dispose();
    }

    private async Task LoopAsync(MethodInfo method, string name, string queueName, StorageClients storage, IServiceProvider services, ILogger logger)
    {
        var ct = _stopping.Token;
        var work = services.GetRequiredService<Konduktor.Core.GitHub.GitHubWork>();
        var idle = TimeSpan.FromMilliseconds(100);
        while (!ct.IsCancellationRequested)
        {
            try
            {
                var queue = await storage.Queue(queueName);
                var messages = (await queue.ReceiveMessagesAsync(16, Visibility, ct)).Value;
                if (messages.Length == 0)
                {
                    // Backs off like the Functions host when idle; work sent from this process wakes it at once.
                    await (queueName == Konduktor.Core.GitHub.GitHubWork.QueueName ? work.WaitForWorkAsync(idle, ct) : Task.Delay(idle, ct));
                    idle = TimeSpan.FromMilliseconds(Math.Min(idle.TotalMilliseconds * 2, MaxIdlePoll.TotalMilliseconds));
                    continue;
                }

                idle = TimeSpan.FromMilliseconds(100);

                await Task.WhenAll(messages.Select(m => HandleAsync(method, name, queueName, queue, m, storage, services, logger, ct)));
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (RequestFailedException e)
            {
                logger.LogWarning("Queue {Queue} could not be read: {Reason}", queueName, e.Message);
                await Task.Delay(RetryAfter, CancellationToken.None);
            }
        }
    }

    private static async Task HandleAsync(MethodInfo method, string name, string queueName, QueueClient queue, Azure.Storage.Queues.Models.QueueMessage message, StorageClients storage, IServiceProvider services, ILogger logger, CancellationToken ct)
    {
        try
        {
            using var scope = services.CreateScope();
            var target = ActivatorUtilities.GetServiceOrCreateInstance(scope.ServiceProvider, method.DeclaringType!);
            var arguments = method.GetParameters().Select(p =>
                p.GetCustomAttribute<QueueTriggerAttribute>() is not null ? message.MessageText
                : p.ParameterType == typeof(CancellationToken) ? ct
                : scope.ServiceProvider.GetRequiredService(p.ParameterType)).ToArray();
            if (method.Invoke(target, arguments) is Task task)
            {
                await task;
            }

            await queue.DeleteMessageAsync(message.MessageId, message.PopReceipt, CancellationToken.None);
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            var error = e is TargetInvocationException { InnerException: { } inner } ? inner : e;
            if (message.DequeueCount >= MaxDequeueCount)
            {
                logger.LogError(error, "{Function}: message {MessageId} failed {Count} times; moved to {Queue}-poison", name, message.MessageId, message.DequeueCount, queueName);
                var poison = await storage.Queue(queueName + "-poison");
                await poison.SendMessageAsync(message.MessageText, timeToLive: TimeSpan.FromSeconds(-1), cancellationToken: CancellationToken.None);
                await queue.DeleteMessageAsync(message.MessageId, message.PopReceipt, CancellationToken.None);
            }
            else
            {
                logger.LogWarning("{Function}: message {MessageId} failed (try {Count} of {Max}), it comes back: {Reason}", name, message.MessageId, message.DequeueCount, MaxDequeueCount, error.Message);
                await queue.UpdateMessageAsync(message.MessageId, message.PopReceipt, visibilityTimeout: RetryAfter * message.DequeueCount, cancellationToken: CancellationToken.None);
            }
        }
    }
}

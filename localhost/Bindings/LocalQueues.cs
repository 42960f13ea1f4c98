using System.Reflection;
using Azure;
using Azure.Storage.Queues;
using Konduktor.Core.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Konduktor.LocalHost.Bindings;

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
        foreach (var function in FunctionCatalog.Discover(assembly).Where(f => f.Trigger == TriggerKind.Queue))
        {
            var invoker = FunctionInvoker.For(function);
            queues._loops.Add(Task.Run(() => queues.LoopAsync(invoker, function.Queue!, storage, services, logger)));
        }

        return queues;
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        await Task.WhenAll(_loops);
        _stopping.Dispose();
    }

    private async Task LoopAsync(FunctionInvoker invoker, string queueName, StorageClients storage, IServiceProvider services, ILogger logger)
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

                await Task.WhenAll(messages.Select(m => HandleAsync(invoker, queueName, queue, m, storage, services, logger, ct)));
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is RequestFailedException || StorageOutage.Is(e))
            {
                logger.LogWarning("Queue {Queue} could not be read: {Reason}", queueName, e.Message);
                await Task.Delay(RetryAfter, CancellationToken.None);
            }
        }
    }

    private static async Task HandleAsync(FunctionInvoker invoker, string queueName, QueueClient queue, Azure.Storage.Queues.Models.QueueMessage message, StorageClients storage, IServiceProvider services, ILogger logger, CancellationToken ct)
    {
        try
        {
            using var scope = services.CreateScope();
            await invoker.InvokeAsync(new Invocation(scope.ServiceProvider, message.MessageText, ct));
            await queue.DeleteMessageAsync(message.MessageId, message.PopReceipt, CancellationToken.None);
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            var (error, name) = (e, invoker.Function.Name);
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

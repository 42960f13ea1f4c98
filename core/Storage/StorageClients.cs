using System.Collections.Concurrent;
using Azure.Core;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;

namespace Konduktor.Core.Storage;

/// <summary>
/// The one place storage clients are made: every client counts its requests and every name gets the
/// installation's prefix. Tables, queues and containers are created once per process, on first use.
/// </summary>
public sealed class StorageClients
{
    private readonly TableServiceClient _tables;
    private readonly QueueServiceClient _queues;
    private readonly BlobServiceClient _blobs;
    private readonly string _prefix;
    private readonly ConcurrentDictionary<string, Lazy<Task<TableClient>>> _tableClients = new();
    private readonly ConcurrentDictionary<string, Lazy<Task<QueueClient>>> _queueClients = new();
    private readonly ConcurrentDictionary<string, Lazy<Task<BlobContainerClient>>> _containerClients = new();

    public StorageClients(StorageOptions options, StorageOperationCounter counter)
    {
        if (options.Prefix.Any(c => !char.IsAsciiLetterLower(c) && !char.IsAsciiDigit(c)) || options.Prefix.Length > 20)
        {
            throw new ArgumentException("the storage prefix must be at most 20 lower-case letters or digits", nameof(options));
        }

        _prefix = options.Prefix;
        if (options.ConnectionString is { } connection)
        {
            _tables = new TableServiceClient(connection, Configure(new TableClientOptions(), counter, "table"));
            _queues = new QueueServiceClient(connection, Configure(new QueueClientOptions(), counter, "queue"));
            _blobs = new BlobServiceClient(connection, Configure(new BlobClientOptions(), counter, "blob"));
        }
        else
        {
            // Azure: the account's endpoints with the host's identity and its data roles; the account allows no shared key.
            var account = options.AccountName ?? throw new ArgumentException("storage needs a connection string or an account name", nameof(options));
            var credential = new Azure.Identity.DefaultAzureCredential();
            _tables = new TableServiceClient(new Uri($"https://{account}.table.core.windows.net"), credential, Configure(new TableClientOptions(), counter, "table"));
            _queues = new QueueServiceClient(new Uri($"https://{account}.queue.core.windows.net"), credential, Configure(new QueueClientOptions(), counter, "queue"));
            _blobs = new BlobServiceClient(new Uri($"https://{account}.blob.core.windows.net"), credential, Configure(new BlobClientOptions(), counter, "blob"));
        }
        Counter = counter;
    }

    public StorageOperationCounter Counter { get; }

    public Task<TableClient> Table(string name) => _tableClients.GetOrAdd(name, key => new Lazy<Task<TableClient>>(async () =>
    {
        var client = _tables.GetTableClient(_prefix + key);
        await client.CreateIfNotExistsAsync();
        return client;
    })).Value;

    public Task<QueueClient> Queue(string name) => _queueClients.GetOrAdd(name, key => new Lazy<Task<QueueClient>>(async () =>
    {
        var client = _queues.GetQueueClient(_prefix + key);
        await client.CreateIfNotExistsAsync();
        return client;
    })).Value;

    public Task<BlobContainerClient> Container(string name) => _containerClients.GetOrAdd(name, key => new Lazy<Task<BlobContainerClient>>(async () =>
    {
        var client = _blobs.GetBlobContainerClient(_prefix + key);
        await client.CreateIfNotExistsAsync();
        return client;
    })).Value;

    private static T Configure<T>(T options, StorageOperationCounter counter, string service)
        where T : ClientOptions
    {
        options.AddPolicy(counter.PolicyFor(service), HttpPipelinePosition.PerRetry);
        options.Retry.MaxRetries = 3;
        options.Retry.Delay = TimeSpan.FromMilliseconds(200);
        options.Retry.NetworkTimeout = TimeSpan.FromSeconds(30);
        return options;
    }
}

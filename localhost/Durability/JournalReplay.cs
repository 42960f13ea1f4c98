using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Azure.Storage;
using Azure.Storage.Sas;

namespace Konduktor.LocalHost.Durability;

/// <param name="Records">Records read from the journal.</param>
/// <param name="Refused">Records Azurite refused even as rewritten for replay (logged; the state they lead to is kept another way).</param>
public sealed record ReplayReport(int Records, int Refused);

/// <summary>
/// At start, before anything else talks to Azurite: every journaled write since the last checkpoint is sent again, in
/// order, rewritten so that a write Azurite already has changes nothing a later one did not (see <see cref="TableBatch"/>);
/// blob writes lose their conditions for the same reason. Signed with an account SAS: the journal keeps no signatures.
/// </summary>
public sealed class JournalReplay(IReadOnlyList<int> azuritePorts, string accountName, string accountKey)
{
    public async Task<ReplayReport> ReplayAsync(IReadOnlyList<string> segments, Action<string> refused, CancellationToken ct)
    {
        using var client = new HttpClient(new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false });
        var sas = new AccountSasBuilder(AccountSasPermissions.All, DateTimeOffset.UtcNow.AddDays(1), AccountSasServices.All, AccountSasResourceTypes.All)
            .ToSasQueryParameters(new StorageSharedKeyCredential(accountName, accountKey)).ToString();
        int records = 0, refusals = 0;
        foreach (var segment in segments)
        {
            foreach (var record in JournalRecord.ReadAll(segment))
            {
                records++;
                if (!await SendAsync(client, record, sas, ct))
                {
                    refusals++;
                    refused($"replay of {record} was refused");
                }
            }
        }

        return new ReplayReport(records, refusals);
    }

    private async Task<bool> SendAsync(HttpClient client, JournalRecord record, string sas, CancellationToken ct)
    {
        var origin = $"http://127.0.0.1:{azuritePorts[(int)record.Service]}";
        if (record.Service != StorageService.Table)
        {
            var headers = record.Headers.Where(h => !Conditional(h.Key)).ToList();
            return Accepted(await SendAsync(client, origin, record.Method, record.PathAndQuery, headers, record.Body, sas, ct), record.Method);
        }

        if (!TableBatch.Is(record))
        {
            var operation = TableBatch.ForReplay(new TableOperation(record.Method, record.PathAndQuery, record.Headers, record.BodyText));
            return Accepted(await SendAsync(client, origin, operation, sas, ct), operation.Method);
        }

        var batch = TableBatch.ForReplay(record.BodyText, origin);
        using var response = await SendAsync(client, origin, record.Method, record.PathAndQuery, record.Headers, Encoding.UTF8.GetBytes(batch), sas, ct);
        if (response.IsSuccessStatusCode && TableBatch.AllSucceeded(await response.Content.ReadAsStringAsync(ct)))
        {
            return true;
        }

        // A batch is all or nothing; one operation with nothing left to act on (a delete of a row already gone) would
        // keep the others out. Each goes alone then.
        var all = true;
        foreach (var operation in TableBatch.Operations(batch))
        {
            all &= Accepted(await SendAsync(client, origin, operation, sas, ct), operation.Method);
        }

        return all;
    }

    private static async Task<HttpResponseMessage> SendAsync(HttpClient client, string origin, TableOperation operation, string sas, CancellationToken ct) =>
        await SendAsync(client, origin, operation.Method, operation.Path, operation.Headers, Encoding.UTF8.GetBytes(operation.Body), sas, ct);

    private static async Task<HttpResponseMessage> SendAsync(HttpClient client, string origin, string method, string pathAndQuery, IEnumerable<KeyValuePair<string, string>> headers, byte[] body, string sas, CancellationToken ct)
    {
        var request = new HttpRequestMessage(new HttpMethod(method), origin + pathAndQuery + (pathAndQuery.Contains('?') ? "&" : "?") + sas);
        if (body.Length > 0 || method is "PUT" or "POST" or "MERGE" or "PATCH")
        {
            request.Content = new ByteArrayContent(body);
        }

        foreach (var (name, value) in headers)
        {
            if (!request.Headers.TryAddWithoutValidation(name, value))
            {
                request.Content ??= new ByteArrayContent([]);
                request.Content.Headers.Remove(name);
                request.Content.Headers.TryAddWithoutValidation(name, value);
            }
        }

        request.Headers.Date = DateTimeOffset.UtcNow;
        return await client.SendAsync(request, ct);
    }

    /// <summary>Done, or nothing left to do: a delete of what is gone, a create of what is there.</summary>
    private static bool Accepted(HttpResponseMessage response, string method)
    {
        using (response)
        {
            return response.IsSuccessStatusCode
                || (response.StatusCode == HttpStatusCode.NotFound && method == "DELETE")
                || response.StatusCode == HttpStatusCode.Conflict;
        }
    }

    private static bool Conditional(string header) =>
        header.StartsWith("If-", StringComparison.OrdinalIgnoreCase) || header.StartsWith("x-ms-if-", StringComparison.OrdinalIgnoreCase)
        || header.Equals("x-ms-date", StringComparison.OrdinalIgnoreCase) || header.Equals("Date", StringComparison.OrdinalIgnoreCase);
}

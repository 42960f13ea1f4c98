using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Konduktor.Core.Contract;
using Konduktor.Core.Json;
using Konduktor.Core.Runners;
using Konduktor.Core.Sessions;

namespace Konduktor.Runner.Listener;

/// <summary>The API said no: a 4xx with its problem detail, or a 5xx.</summary>
public sealed class RunnerApiException(HttpStatusCode status, string message) : Exception(message)
{
    public HttpStatusCode Status { get; } = status;

    /// <summary>Worth trying again: the API or its storage is unavailable, or the request timed out.</summary>
    public bool IsTransient => (int)Status >= 500 || Status is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests;
}

/// <summary>The runner's side of the runner protocol, over HTTP.</summary>
public sealed class RunnerApi : IDisposable
{
    private readonly HttpClient _http;

    public RunnerApi(Uri apiUrl)
    {
        _http = new HttpClient { BaseAddress = new Uri(apiUrl.ToString().TrimEnd('/') + "/api/"), Timeout = TimeSpan.FromSeconds(100) };
    }

    public void UseToken(string token) => _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);

    public Task<RunnerRegistration> RegisterAsync(RegisterRunner input, CancellationToken ct) => CallAsync(Operations.RegisterRunner, [], input, ct);

    /// <summary>Trades a one-time registration secret for the runner's own credential.</summary>
    public Task<RunnerRegistration> ExchangeAsync(string secret, RegisterRunner runner, CancellationToken ct)
    {
        UseToken(secret);
        return CallAsync(Operations.ExchangeRunnerSecret, [], runner, ct);
    }

    public Task<HeartbeatReply> HeartbeatAsync(Guid runnerId, RunnerHeartbeat beat, CancellationToken ct) =>
        CallAsync(Operations.RunnerHeartbeat, [runnerId.ToString("D")], beat, ct);

    public Task<IReadOnlyList<JobMessage>> ReceiveJobsAsync(JobRequest request, CancellationToken ct) => CallAsync(Operations.ReceiveJobs, [], request, ct);

    public Task<Konduktor.Core.Results.Done> DeleteJobAsync(JobMessage message, CancellationToken ct) => CallAsync(Operations.DeleteJob, [], message, ct);

    public Task<SessionJob> ClaimAsync(Guid workspaceId, Guid sessionId, CancellationToken ct) =>
        CallAsync(Operations.ClaimSession, Session(workspaceId, sessionId), ct);

    public Task<Session> ReportAsync(Guid workspaceId, Guid sessionId, SessionReport report, CancellationToken ct) =>
        CallAsync(Operations.ReportSession, Session(workspaceId, sessionId), report, ct);

    public Task<LogAppended> AppendLogsAsync(Guid workspaceId, Guid sessionId, IReadOnlyList<LogEvent> events, CancellationToken ct) =>
        CallAsync(Operations.AppendSessionLogs, Session(workspaceId, sessionId), new LogAppend(events), ct);

    /// <summary>What people said to the session's task that its agent has not heard, and whether to stop; waits up to <paramref name="waitSeconds"/> for either.</summary>
    public Task<SessionInbox> InboxAsync(Guid workspaceId, Guid sessionId, int waitSeconds, CancellationToken ct) =>
        SendAsync<SessionInbox>(Operations.ReadSessionInbox, Operations.ReadSessionInbox.Path(Session(workspaceId, sessionId), [new("wait", waitSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture))]), null, ct);

    public Task<Konduktor.Core.Results.Done> DeliveredAsync(Guid workspaceId, Guid sessionId, IReadOnlyList<Guid> messages, CancellationToken ct) =>
        CallAsync(Operations.DeliverSessionMessages, Session(workspaceId, sessionId), new MessagesDelivered(messages), ct);

    public Task<IReadOnlyList<WorktreeTask>> TaskStatesAsync(IReadOnlyList<WorktreeTask> tasks, CancellationToken ct) =>
        CallAsync(Operations.WorktreeTaskStates, [], new WorktreeTasks(tasks), ct);

    public Task<Session> PoisonAsync(PoisonedJob job, CancellationToken ct) => CallAsync(Operations.PoisonJob, [], job, ct);

    public async Task SaveTranscriptAsync(Guid workspaceId, Guid sessionId, string file, SecretMask mask, CancellationToken ct)
    {
        await using var content = File.OpenRead(file);
        using var request = new HttpRequestMessage(HttpMethod.Put, Operations.SaveTranscript.Path([.. Session(workspaceId, sessionId)]))
        {
            Content = mask.IsEmpty ? new StreamContent(content) : new StringContent(mask.Apply(await new StreamReader(content).ReadToEndAsync(ct))),
        };
        using var response = await SendRawAsync(request, ct);
        await EnsureSuccessAsync(response, ct);
    }

    /// <summary>Keeps what the task's branch changes, as of the session that just ran.</summary>
    public Task<Konduktor.Core.Results.Done> SaveChangesAsync(Guid workspaceId, Guid sessionId, Konduktor.Core.Changes.ChangeSet changes, CancellationToken ct) =>
        CallAsync(Operations.SaveChanges, Session(workspaceId, sessionId), changes, ct);

    /// <summary>The kept transcript of the conversation a session resumes, or false when none is kept.</summary>
    public async Task<bool> LoadTranscriptAsync(Guid workspaceId, Guid sessionId, string file, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, Operations.LoadTranscript.Path([.. Session(workspaceId, sessionId)]));
        using var response = await SendRawAsync(request, ct);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return false;
        }

        await EnsureSuccessAsync(response, ct);
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        await using var target = File.Create(file);
        await response.Content.CopyToAsync(target, ct);
        return true;
    }

    public void Dispose() => _http.Dispose();

    private static string[] Session(Guid workspaceId, Guid sessionId) => [workspaceId.ToString("D"), sessionId.ToString("D")];

    private Task<T> CallAsync<T>(Operation<T> operation, string[] route, CancellationToken ct) =>
        SendAsync<T>(operation, operation.Path(route), null, ct);

    private Task<TReply> CallAsync<TBody, TReply>(Operation<TBody, TReply> operation, string[] route, TBody body, CancellationToken ct) =>
        SendAsync<TReply>(operation, operation.Path(route), JsonContent.Create(body, KonduktorJson.Info<TBody>(KonduktorJson.Options)), ct);

    private async Task<T> SendAsync<T>(Operation operation, string path, HttpContent? body, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(new HttpMethod(operation.Method.ToUpperInvariant()), path) { Content = body };
        using var response = await SendRawAsync(request, ct);
        await EnsureSuccessAsync(response, ct);
        return await response.Content.ReadFromJsonAsync(KonduktorJson.Info<T>(KonduktorJson.Options), ct)
            ?? throw new RunnerApiException(HttpStatusCode.BadGateway, "the API answered with an empty body");
    }

    private async Task<HttpResponseMessage> SendRawAsync(HttpRequestMessage request, CancellationToken ct)
    {
        try
        {
            return await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
        }
        catch (HttpRequestException e)
        {
            throw new RunnerApiException(HttpStatusCode.ServiceUnavailable, $"the API at {_http.BaseAddress} is unreachable: {e.Message}");
        }
        catch (TaskCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new RunnerApiException(HttpStatusCode.RequestTimeout, $"the API at {_http.BaseAddress} did not answer in time");
        }
    }

    private static async Task EnsureSuccessAsync(HttpResponseMessage response, CancellationToken ct)
    {
        if (response.IsSuccessStatusCode)
        {
            return;
        }

        throw new RunnerApiException(response.StatusCode,
            ProblemDetail.Read(await response.Content.ReadAsStringAsync(ct)) ?? $"{(int)response.StatusCode} {response.ReasonPhrase}");
    }
}

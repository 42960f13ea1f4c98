using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
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

    public Task<RunnerRegistration> RegisterAsync(RegisterRunner input, CancellationToken ct) => SendAsync<RunnerRegistration>(HttpMethod.Post, "runners", input, ct);

    /// <summary>Trades a one-time registration secret (sent as the bearer token) for the runner's own credential.</summary>
    public Task<RunnerRegistration> ExchangeAsync(string secret, RegisterRunner runner, CancellationToken ct)
    {
        UseToken(secret);
        return SendAsync<RunnerRegistration>(HttpMethod.Post, "runners/exchange", runner, ct);
    }

    public Task<HeartbeatReply> HeartbeatAsync(Guid runnerId, RunnerHeartbeat beat, CancellationToken ct) =>
        SendAsync<HeartbeatReply>(HttpMethod.Post, $"runners/{runnerId:D}/heartbeat", beat, ct);

    public Task<List<JobMessage>> ReceiveJobsAsync(JobRequest request, CancellationToken ct) => SendAsync<List<JobMessage>>(HttpMethod.Post, "runner/jobs/receive", request, ct);

    public Task<Konduktor.Core.Results.Done> DeleteJobAsync(JobMessage message, CancellationToken ct) => SendAsync<Konduktor.Core.Results.Done>(HttpMethod.Post, "runner/jobs/delete", message, ct);

    public Task<SessionJob> ClaimAsync(Guid workspaceId, Guid sessionId, CancellationToken ct) =>
        SendAsync<SessionJob>(HttpMethod.Post, $"{SessionPath(workspaceId, sessionId)}/claim", null, ct);

    public Task<Session> ReportAsync(Guid workspaceId, Guid sessionId, SessionReport report, CancellationToken ct) =>
        SendAsync<Session>(HttpMethod.Post, $"{SessionPath(workspaceId, sessionId)}/report", report, ct);

    public Task<LogAppended> AppendLogsAsync(Guid workspaceId, Guid sessionId, IReadOnlyList<LogEvent> events, CancellationToken ct) =>
        SendAsync<LogAppended>(HttpMethod.Post, $"{SessionPath(workspaceId, sessionId)}/logs", new LogAppend(events), ct);

    public Task<List<WorktreeTask>> TaskStatesAsync(IReadOnlyList<WorktreeTask> tasks, CancellationToken ct) =>
        SendAsync<List<WorktreeTask>>(HttpMethod.Post, "runner/worktree-tasks", new WorktreeTasks(tasks), ct);

    public Task<Session> PoisonAsync(PoisonedJob job, CancellationToken ct) => SendAsync<Session>(HttpMethod.Post, "runner/poison", job, ct);

    /// <summary>Keeps a conversation's transcript, the session's secrets masked in it (a resume elsewhere sees <c>***</c>, the agent's environment still has them).</summary>
    public async Task SaveTranscriptAsync(Guid workspaceId, Guid sessionId, string file, SecretMask mask, CancellationToken ct)
    {
        await using var content = File.OpenRead(file);
        using var request = new HttpRequestMessage(HttpMethod.Put, $"{SessionPath(workspaceId, sessionId)}/transcript")
        {
            Content = mask.IsEmpty ? new StreamContent(content) : new StringContent(mask.Apply(await new StreamReader(content).ReadToEndAsync(ct))),
        };
        using var response = await SendRawAsync(request, ct);
        await EnsureSuccessAsync(response, ct);
    }

    /// <summary>Keeps what the task's branch changes, as of the session that just ran.</summary>
    public Task<Konduktor.Core.Results.Done> SaveChangesAsync(Guid workspaceId, Guid sessionId, Konduktor.Core.Changes.ChangeSet changes, CancellationToken ct) =>
        SendAsync<Konduktor.Core.Results.Done>(HttpMethod.Put, $"{SessionPath(workspaceId, sessionId)}/changes", changes, ct);

    /// <summary>The kept transcript of the conversation a session resumes, or false when none is kept.</summary>
    public async Task<bool> LoadTranscriptAsync(Guid workspaceId, Guid sessionId, string file, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"{SessionPath(workspaceId, sessionId)}/transcript");
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

    private static string SessionPath(Guid workspaceId, Guid sessionId) => $"runner/workspaces/{workspaceId:D}/sessions/{sessionId:D}";

    private async Task<T> SendAsync<T>(HttpMethod method, string path, object? body, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = JsonContent.Create(body, KonduktorJson.Options.GetTypeInfo(body.GetType()));
        }

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

using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Konduktor.Bench;

/// <summary>
/// GitHub from Konduktor's side: how fast a webhook is acknowledged while the work it queues waits on a slow GitHub,
/// and what the reconciler costs per open pull request (API calls, 304s apart, and storage transactions).
/// </summary>
public static class GitHubBench
{
    /// <summary>1,000 synchronize deliveries with conflict auto-fix on: each queues work that asks a slow GitHub for mergeability.</summary>
    public static async Task WebhooksAsync(int deliveries)
    {
        await using var gitHub = await SlowGitHub.StartAsync(TimeSpan.FromMilliseconds(800));
        await using var host = await BenchHost.StartAsync(new Dictionary<string, string> { ["Konduktor__GitHub__ApiUrl"] = gitHub.Url }, "--no-runner");
        var (url, secret) = await WorkspaceAsync(host, autoFix: true);
        var tasks = await TasksWithPullRequestsAsync(host, url, secret, 50);
        using var http = new HttpClient();
        var floor = new List<double>();
        var acks = new List<double>();
        var total = Stopwatch.StartNew();
        await Parallel.ForEachAsync(Enumerable.Range(0, deliveries), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, ct) =>
        {
            var (task, number) = tasks[i % tasks.Count];
            var watch = Stopwatch.StartNew();
            using var response = await http.SendAsync(Delivery(url, secret, "pull_request", PullRequestJson("synchronize", task, number, i)), ct);
            var ack = watch.Elapsed.TotalMilliseconds;
            watch.Restart();
            using var status = await host.Http.GetAsync("api/status", ct);
            var plain = watch.Elapsed.TotalMilliseconds;
            lock (acks)
            {
                acks.Add(response.IsSuccessStatusCode ? ack : double.MaxValue);
                floor.Add(plain);
            }
        });
        Console.WriteLine($"bench github-webhooks: {deliveries:N0} signed synchronize deliveries, 8 at a time, conflict auto-fix on, GitHub answering mergeability in 800 ms");
        Console.WriteLine($"webhook acknowledged: {Figures.Summary(acks, 0.5, 0.95, 0.99)}; {deliveries / total.Elapsed.TotalSeconds:N0} deliveries/s");
        Console.WriteLine($"floor, an authenticated GET /api/status at the same time: {Figures.Summary(floor, 0.5, 0.95, 0.99)}");
        Console.WriteLine($"mergeability asked of GitHub so far (queued work, after the acks): {gitHub.Calls("/pulls/")}");
    }

    /// <summary>The reconciler over <paramref name="pullRequests"/> open PRs, every 5 s for <paramref name="passes"/> passes.</summary>
    public static async Task ReconcilerAsync(int pullRequests, int passes)
    {
        await using var gitHub = await SlowGitHub.StartAsync(TimeSpan.Zero);
        await using var host = await BenchHost.StartAsync(new Dictionary<string, string>
        {
            ["Konduktor__GitHub__ApiUrl"] = gitHub.Url,
            ["Konduktor__Timers__ReconcilePullRequests"] = "*/5 * * * * *",
        }, "--no-runner");
        var (url, secret) = await WorkspaceAsync(host, autoFix: false);
        await TasksWithPullRequestsAsync(host, url, secret, pullRequests);
        await WaitAsync(() => gitHub.Calls("/check-runs") >= pullRequests, TimeSpan.FromSeconds(60));
        var (calls, notModified, storage) = (gitHub.Total, gitHub.NotModified, await StorageOpsAsync(host));
        var watch = Stopwatch.StartNew();
        await Task.Delay(TimeSpan.FromSeconds(5 * passes));
        var passesSeen = watch.Elapsed.TotalSeconds / 5;
        var perPass = (gitHub.Total - calls) / passesSeen;
        var notModifiedPerPass = (gitHub.NotModified - notModified) / passesSeen;
        var storagePerPass = (await StorageOpsAsync(host) - storage) / passesSeen;
        Console.WriteLine($"bench reconcile: {pullRequests} open task pull requests, nothing changing, {passesSeen:0.0} passes measured");
        Console.WriteLine($"GitHub API calls per pass: {perPass:0.0} ({notModifiedPerPass:0.0} of them 304 Not Modified, which GitHub does not count against the rate limit)");
        Console.WriteLine($"per open PR per hour at the default once a minute: {perPass / pullRequests * 60:0} calls, {(perPass - notModifiedPerPass) / pullRequests * 60:0} counted against the rate limit");
        Console.WriteLine($"storage transactions per pass: {storagePerPass:0.0}, {storagePerPass / pullRequests:0.0} per open PR (its task and its workspace token read, no writes when nothing changed) → {storagePerPass * 60:N0} per hour");
    }

    private static async Task<(string Url, string Secret)> WorkspaceAsync(BenchHost host, bool autoFix)
    {
        var remote = await BenchHost.NewRemoteAsync();
        (await host.Http.PostAsJsonAsync("api/workspaces", new { repository = remote, name = "bench", gitHubRepository = "acme/bench" })).EnsureSuccessStatusCode();
        (await host.Http.PatchAsJsonAsync("api/workspaces/bench/config", new { autoFixConflicts = autoFix, autoFixCi = false, gitHubToken = "ghp_bench", pullRequests = "off" })).EnsureSuccessStatusCode();
        var webhook = JsonDocument.Parse(await host.Http.GetStringAsync("api/workspaces/bench/webhook")).RootElement;
        return (webhook.GetProperty("payloadUrl").GetString()!, webhook.GetProperty("secret").GetString()!);
    }

    /// <summary>Tasks whose PRs GitHub says are open (one opened delivery each): what the reconciler and auto-fix look at.</summary>
    private static async Task<List<(string ShortId, int Number)>> TasksWithPullRequestsAsync(BenchHost host, string url, string secret, int count)
    {
        using var http = new HttpClient();
        var tasks = new List<(string, int)>();
        for (var i = 0; i < count; i++)
        {
            var created = await host.Http.PostAsJsonAsync("api/workspaces/bench/tasks", new { title = $"Task {i}" });
            var shortId = JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString()![..8];
            (await http.SendAsync(Delivery(url, secret, "pull_request", PullRequestJson("opened", shortId, 1000 + i, i)))).EnsureSuccessStatusCode();
            tasks.Add((shortId, 1000 + i));
        }

        return tasks;
    }

    private static async Task<long> StorageOpsAsync(BenchHost host) =>
        JsonDocument.Parse(await host.Http.GetStringAsync("api/diagnostics/storage")).RootElement.GetProperty("total").GetInt64();

    private static async Task WaitAsync(Func<bool> condition, TimeSpan timeout)
    {
        var watch = Stopwatch.StartNew();
        while (!condition() && watch.Elapsed < timeout)
        {
            await Task.Delay(100);
        }
    }

    private static HttpRequestMessage Delivery(string url, string secret, string eventName, string body)
    {
        var bytes = Encoding.UTF8.GetBytes(body);
        var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(bytes) };
        request.Content.Headers.ContentType = new("application/json");
        request.Headers.Add("X-GitHub-Event", eventName);
        request.Headers.Add("X-GitHub-Delivery", Guid.NewGuid().ToString());
        request.Headers.Add("X-Hub-Signature-256", "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), bytes)));
        return request;
    }

    private static string PullRequestJson(string action, string shortId, int number, int salt) => $$$"""
        {"action":"{{{action}}}","number":{{{number}}},"before":"{{{salt:x40}}}","after":"{{{salt + 1:x40}}}",
         "pull_request":{"url":"u","id":{{{number}}},"node_id":"n","html_url":"https://github.com/acme/bench/pull/{{{number}}}","diff_url":"","patch_url":"","issue_url":"","number":{{{number}}},
          "state":"open","locked":false,"title":"t","user":{"login":"c","id":1,"node_id":"u","avatar_url":"","gravatar_id":"","url":"","html_url":"","type":"User","site_admin":false},
          "body":"","created_at":"2026-01-01T00:00:00Z","updated_at":"2026-01-01T00:00:00Z","closed_at":null,"merged_at":null,"merge_commit_sha":null,
          "assignee":null,"assignees":[],"requested_reviewers":[],"requested_teams":[],"labels":[],"milestone":null,"draft":false,"commits_url":"","review_comments_url":"","review_comment_url":"","comments_url":"","statuses_url":"",
          "head":{"label":"x","ref":"konduktor/{{{shortId}}}-task","sha":"{{{salt + 1:x40}}}","user":null,"repo":null},
          "base":{"label":"main","ref":"main","sha":"{{{salt:x40}}}","user":null,"repo":null},
          "_links":{"self":{"href":""},"html":{"href":""},"issue":{"href":""},"comments":{"href":""},"review_comments":{"href":""},"review_comment":{"href":""},"commits":{"href":""},"statuses":{"href":""}},
          "author_association":"OWNER","auto_merge":null,"active_lock_reason":null,"merged":false,"mergeable":null,"rebaseable":null,"mergeable_state":"unknown","merged_by":null,
          "comments":0,"review_comments":0,"maintainer_can_modify":false,"commits":1,"additions":1,"deletions":1,"changed_files":1},
         "repository":{"id":1,"node_id":"r","name":"bench","full_name":"acme/bench","private":false,"owner":{"login":"acme","id":2,"node_id":"o","avatar_url":"","gravatar_id":"","url":"","html_url":"","type":"Organization","site_admin":false},"html_url":"","description":null,"fork":false,"url":"","created_at":"2019-05-15T15:19:25Z","updated_at":"2019-05-15T15:21:03Z","pushed_at":"2019-05-15T15:20:57Z","default_branch":"main"},
         "sender":{"login":"c","id":1,"node_id":"u","avatar_url":"","gravatar_id":"","url":"","html_url":"","type":"User","site_admin":false}}
        """;

    /// <summary>GitHub's API as the bench needs it: every PR open and mergeable after a delay, ETags and 304s, calls counted.</summary>
    private sealed class SlowGitHub : IAsyncDisposable
    {
        private readonly WebApplication _app;
        private readonly ConcurrentDictionary<string, int> _calls = new();
        private int _notModified;

        private SlowGitHub(WebApplication app) => _app = app;

        public string Url => _app.Urls.First();

        public int Total => _calls.Values.Sum();

        public int NotModified => _notModified;

        public int Calls(string containing) => _calls.Where(c => c.Key.Contains(containing, StringComparison.Ordinal)).Sum(c => c.Value);

        public static async Task<SlowGitHub> StartAsync(TimeSpan mergeabilityDelay)
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            var app = builder.Build();
            var self = new SlowGitHub(app);
            app.Use(async (http, next) =>
            {
                self._calls.AddOrUpdate(Shape(http.Request.Path), 1, (_, n) => n + 1);
                http.Response.Headers["X-RateLimit-Remaining"] = "4999";
                http.Response.Headers["X-RateLimit-Reset"] = DateTimeOffset.UtcNow.AddHours(1).ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture);
                await next(http);
            });
            var api = app.MapGroup("/api/v3");
            api.MapGet("/repos/{owner}/{repo}/pulls/{number:int}", async (HttpContext http, int number) =>
            {
                await Task.Delay(mergeabilityDelay);
                return self.Conditional(http, $$"""
                    {"url":"u","id":{{number}},"number":{{number}},"state":"open","title":"t","body":"","html_url":"https://github.com/acme/bench/pull/{{number}}","merged":false,"mergeable":true,"mergeable_state":"clean",
                     "head":{"ref":"x","sha":"0000000000000000000000000000000000000001","label":"x"},"base":{"ref":"main","sha":"0000000000000000000000000000000000000002","label":"main"},
                     "created_at":"2026-01-01T00:00:00Z","updated_at":"2026-01-01T00:00:00Z"}
                    """);
            });
            api.MapGet("/repos/{owner}/{repo}/commits/{sha}/check-runs", (HttpContext http) => self.Conditional(http, """{"total_count":0,"check_runs":[]}"""));
            api.MapGet("/repos/{owner}/{repo}/pulls/{number:int}/reviews", (HttpContext http) => self.Conditional(http, "[]"));
            await app.StartAsync();
            return self;
        }

        public async ValueTask DisposeAsync() => await _app.DisposeAsync();

        private IResult Conditional(HttpContext http, string json)
        {
            var etag = "\"" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(json)))[..20] + "\"";
            http.Response.Headers.ETag = etag;
            if (http.Request.Headers.IfNoneMatch.ToString() == etag)
            {
                Interlocked.Increment(ref _notModified);
                return Results.StatusCode(304);
            }

            return Results.Content(json, "application/json");
        }

        private static string Shape(string path) => System.Text.RegularExpressions.Regex.Replace(path, "[0-9]+", "N");
    }
}

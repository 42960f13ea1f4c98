using System.Diagnostics;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Konduktor.Bench;

/// <summary>GitHub webhook deliveries against `up`'s host: throughput, latency, and that a replay never acts twice.</summary>
public static class WebhookBench
{
    // Longer than a method should be, on purpose: a bench reads top to bottom as the steps it measures and the figures it prints.
    public static async Task RunAsync(int deliveries)
    {
        await using var host = await BenchHost.StartAsync("--no-runner");
        var remote = await BenchHost.NewRemoteAsync();
        (await host.Http.PostAsJsonAsync("api/workspaces", new { repository = remote, name = "bench", gitHubRepository = "acme/bench" })).EnsureSuccessStatusCode();
        // Deliveries only: no GitHub API calls from auto-fix (there is no GitHub here).
        (await host.Http.PatchAsJsonAsync("api/workspaces/bench/config", new { autoFixConflicts = false, autoFixCi = false })).EnsureSuccessStatusCode();
        var webhook = JsonDocument.Parse(await host.Http.GetStringAsync("api/workspaces/bench/webhook")).RootElement;
        var url = webhook.GetProperty("payloadUrl").GetString()!;
        var secret = webhook.GetProperty("secret").GetString()!;
        var tasks = new List<string>();
        for (var i = 0; i < 100; i++)
        {
            var created = await host.Http.PostAsJsonAsync("api/workspaces/bench/tasks", new { title = $"Task {i}" });
            tasks.Add(JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString()![..8]);
        }

        var unique = deliveries - deliveries / 10;
        var plan = new List<(string Delivery, string Event, string Body, bool Replay)>();
        for (var i = 0; i < unique; i++)
        {
            var task = tasks[i % tasks.Count];
            var (eventName, body) = (i % 3) switch
            {
                0 => ("pull_request", PullRequest(i % 2 == 0 ? "opened" : "closed", $"konduktor/{task}-task", 1000 + i)),
                1 => ("pull_request", PullRequest("synchronize", $"konduktor/{task}-task", 1000 + i)),
                _ => ("star", """{"action":"created","repository":{},"sender":{}}"""),
            };
            plan.Add((Guid.NewGuid().ToString(), eventName, body, false));
        }

        var random = new Random(42);
        foreach (var replayed in plan.Take(unique).OrderBy(_ => random.Next()).Take(deliveries - unique).ToList())
        {
            plan.Insert(random.Next(plan.IndexOf(replayed) + 1, plan.Count + 1), replayed with { Replay = true });
        }

        Console.WriteLine($"bench webhooks: {plan.Count:N0} signed deliveries ({deliveries - unique} replays), 8 at a time, to `up`'s host");
        using var http = new HttpClient();
        var latencies = new List<double>();
        var outcomes = new List<(string Delivery, bool Replay, string Result)>();
        var failureSamples = new System.Collections.Concurrent.ConcurrentBag<string>();
        var total = Stopwatch.StartNew();
        await Parallel.ForEachAsync(plan, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (d, ct) =>
        {
            var bytes = Encoding.UTF8.GetBytes(d.Body);
            using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(bytes) };
            request.Content.Headers.ContentType = new("application/json");
            request.Headers.Add("X-GitHub-Event", d.Event);
            request.Headers.Add("X-GitHub-Delivery", d.Delivery);
            request.Headers.Add("X-Hub-Signature-256", "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), bytes)));
            var watch = Stopwatch.StartNew();
            using var response = await http.SendAsync(request, ct);
            var text = await response.Content.ReadAsStringAsync(ct);
            lock (latencies)
            {
                latencies.Add(watch.Elapsed.TotalMilliseconds);
                outcomes.Add((d.Delivery, d.Replay, response.IsSuccessStatusCode ? JsonDocument.Parse(text).RootElement.GetProperty("result").GetString()! : $"HTTP {(int)response.StatusCode}"));
                if (!response.IsSuccessStatusCode)
                {
                    failureSamples.Add($"{d.Event}: {(int)response.StatusCode} {text}");
                }
            }
        });
        var seconds = total.Elapsed.TotalSeconds;
        foreach (var sample in failureSamples.Take(3))
        {
            Console.WriteLine("  a failure: " + sample);
        }

        var failures = outcomes.Count(o => o.Result.StartsWith("HTTP", StringComparison.Ordinal));
        // A delivery id acted on by more than one of its sends is a duplicated effect.
        var processedTwice = outcomes.GroupBy(o => o.Delivery)
            .Count(g => g.Count(o => !o.Result.Contains("already processed", StringComparison.Ordinal) && !o.Result.StartsWith("ignored", StringComparison.Ordinal) && !o.Result.StartsWith("HTTP", StringComparison.Ordinal)) > 1);
        Console.WriteLine($"{plan.Count / seconds:N0} deliveries/s; latency {Figures.Summary(latencies, 0.5, 0.95)}; failed {failures}; duplicated effects {Math.Max(0, processedTwice)}");
    }

    private static string PullRequest(string action, string branch, int number) => new JsonObject
    {
        ["action"] = action, ["number"] = number, ["before"] = "0000000000000000000000000000000000000003", ["after"] = "0000000000000000000000000000000000000001",
        ["pull_request"] = JsonNode.Parse($$$"""
            {"url":"u","id":{{{number}}},"node_id":"n","html_url":"https://github.com/acme/bench/pull/{{{number}}}","diff_url":"","patch_url":"","issue_url":"","number":{{{number}}},
             "state":"{{{(action == "closed" ? "closed" : "open")}}}","locked":false,"title":"t","user":{"login":"c","id":1,"node_id":"u","avatar_url":"","gravatar_id":"","url":"","html_url":"","type":"User","site_admin":false},
             "body":"","created_at":"{{{DateTimeOffset.UtcNow:yyyy-MM-ddTHH:mm:ssZ}}}","updated_at":"{{{DateTimeOffset.UtcNow:yyyy-MM-ddTHH:mm:ssZ}}}","closed_at":null,"merged_at":null,"merge_commit_sha":null,
             "assignee":null,"assignees":[],"requested_reviewers":[],"requested_teams":[],"labels":[],"milestone":null,"draft":false,"commits_url":"","review_comments_url":"","review_comment_url":"","comments_url":"","statuses_url":"",
             "head":{"label":"x","ref":"{{{branch}}}","sha":"0000000000000000000000000000000000000001","user":null,"repo":null},
             "base":{"label":"main","ref":"main","sha":"0000000000000000000000000000000000000002","user":null,"repo":null},
             "_links":{"self":{"href":""},"html":{"href":""},"issue":{"href":""},"comments":{"href":""},"review_comments":{"href":""},"review_comment":{"href":""},"commits":{"href":""},"statuses":{"href":""}},
             "author_association":"OWNER","auto_merge":null,"active_lock_reason":null,"merged":false,"mergeable":null,"rebaseable":null,"mergeable_state":"unknown","merged_by":null,
             "comments":0,"review_comments":0,"maintainer_can_modify":false,"commits":1,"additions":1,"deletions":1,"changed_files":1}
            """),
        ["repository"] = JsonNode.Parse("""{"id":1,"node_id":"r","name":"bench","full_name":"acme/bench","private":false,"owner":{"login":"acme","id":2,"node_id":"o","avatar_url":"","gravatar_id":"","url":"","html_url":"","type":"Organization","site_admin":false},"html_url":"","description":null,"fork":false,"url":"","created_at":"2019-05-15T15:19:25Z","updated_at":"2019-05-15T15:21:03Z","pushed_at":"2019-05-15T15:20:57Z","default_branch":"main"}"""),
        ["sender"] = JsonNode.Parse("""{"login":"c","id":1,"node_id":"u","avatar_url":"","gravatar_id":"","url":"","html_url":"","type":"User","site_admin":false}"""),
    }.ToJsonString();
}

using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Konduktor.Tests.GitHub;

/// <summary>A small local server answering the GitHub API calls Konduktor makes (through Octokit), with scripted answers.</summary>
public sealed class GitHubStandIn : IAsyncDisposable
{
    private readonly WebApplication _app;

    private GitHubStandIn(WebApplication app, string url)
    {
        _app = app;
        Url = url;
    }

    public string Url { get; }

    /// <summary>Answers for GET /repos/{owner}/{repo}/pulls/{number}'s "mergeable", in order; the last one repeats.</summary>
    public ConcurrentDictionary<int, ConcurrentQueue<bool?>> Mergeable { get; } = new();

    public ConcurrentBag<string> Requests { get; } = [];

    /// <summary>Pull requests opened through POST /repos/{owner}/{repo}/pulls, by number (from 100), with their head branch and body.</summary>
    public ConcurrentDictionary<int, OpenedPullRequest> PullRequests { get; } = new();

    private int _lastNumber = 99;

    /// <summary>Webhooks created through POST /repos/{owner}/{repo}/hooks: the JSON body and the Authorization header.</summary>
    public ConcurrentBag<(string Body, string Authorization)> CreatedHooks { get; } = [];

    public static async Task<GitHubStandIn> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        GitHubStandIn? self = null;
        app.Use(async (http, next) =>
        {
            self?.Requests.Add($"{http.Request.Method} {http.Request.Path}");
            await next(http);
        });
        // Octokit talks to a server that is not github.com as to GitHub Enterprise: under /api/v3.
        var api = app.MapGroup("/api/v3");
        api.MapGet("/repos/{owner}/{repo}/commits/{sha}/check-runs", (string owner, string repo, string sha) => Results.Json(new
        {
            total_count = 2,
            check_runs = new object[]
            {
                CheckRun(1, "unit tests", "failure", owner, repo, sha, "2 tests failed", "TotalIsSummed failed: expected 3, got 4"),
                CheckRun(2, "lint", "success", owner, repo, sha, "clean", ""),
            },
        }));
        api.MapGet("/repos/{owner}/{repo}/check-runs/{id}/annotations", () => Results.Json(new[]
        {
            new { path = "src/sum.ts", start_line = 12, end_line = 12, annotation_level = "failure", message = "expected 3, got 4", title = "TotalIsSummed", raw_details = "", blob_href = "" },
        }));
        api.MapPost("/repos/{owner}/{repo}/hooks", async (HttpContext http, string owner, string repo) =>
        {
            var body = await new StreamReader(http.Request.Body).ReadToEndAsync();
            self!.CreatedHooks.Add((body, http.Request.Headers.Authorization.ToString()));
            return Results.Json(new
            {
                type = "Repository", id = 12345678, name = "web", active = true, events = new[] { "pull_request" },
                config = new { content_type = "json", insecure_ssl = "0", url = "hidden" },
                updated_at = "2026-01-01T00:00:00Z", created_at = "2026-01-01T00:00:00Z",
                url = $"https://api.github.com/repos/{owner}/{repo}/hooks/12345678", test_url = "", ping_url = "", deliveries_url = "",
                last_response = new { code = (int?)null, status = "unused", message = (string?)null },
            }, statusCode: 201);
        });
        api.MapGet("/repos/{owner}/{repo}/pulls", (HttpContext http, string owner, string repo) =>
        {
            var head = http.Request.Query["head"].ToString();
            var open = self!.PullRequests.Values.Where(p => p.Open && (head.Length == 0 || head == $"{owner}:{p.Head}"))
                .Select(p => PullRequestJson(owner, repo, p.Number, p.Head, p.Title, p.Body, p.Draft));
            return Results.Json(open.ToArray());
        });
        api.MapPost("/repos/{owner}/{repo}/pulls", async (HttpContext http, string owner, string repo) =>
        {
            var body = System.Text.Json.JsonDocument.Parse(await new StreamReader(http.Request.Body).ReadToEndAsync()).RootElement;
            var head = body.GetProperty("head").GetString()!;
            lock (self!.PullRequests)
            {
                if (self.PullRequests.Values.Any(p => p.Open && p.Head == head))
                {
                    return Results.Json(new { message = "Validation Failed", errors = new[] { new { resource = "PullRequest", code = "custom", message = $"A pull request already exists for {owner}:{head}." } }, documentation_url = "https://docs.github.com/rest" }, statusCode: 422);
                }

                var number = Interlocked.Increment(ref self._lastNumber);
                var opened = new OpenedPullRequest(number, head, body.GetProperty("title").GetString()!, body.TryGetProperty("body", out var text) ? text.GetString() ?? "" : "",
                    body.TryGetProperty("draft", out var draft) && draft.GetBoolean(), http.Request.Headers.Authorization.ToString());
                self.PullRequests[number] = opened;
                return Results.Json(PullRequestJson(owner, repo, number, head, opened.Title, opened.Body, opened.Draft), statusCode: 201);
            }
        });
        api.MapGet("/repos/{owner}/{repo}/pulls/{number:int}", (string owner, string repo, int number) =>
        {
            bool? mergeable = null;
            if (self!.Mergeable.TryGetValue(number, out var answers))
            {
                if (answers.Count > 1)
                {
                    answers.TryDequeue(out mergeable);
                }
                else
                {
                    answers.TryPeek(out mergeable);
                }
            }

            return Results.Json(new
            {
                url = $"https://api.github.com/repos/{owner}/{repo}/pulls/{number}", id = 1000 + number, number, state = "open", title = "A task", body = "",
                html_url = $"https://github.com/{owner}/{repo}/pull/{number}", merged = false, mergeable, mergeable_state = mergeable == false ? "dirty" : "unknown",
                head = new { @ref = "konduktor/x", sha = "0000000000000000000000000000000000000001", label = "x" }, @base = new { @ref = "main", sha = "0000000000000000000000000000000000000002", label = "main" },
                created_at = "2026-01-01T00:00:00Z", updated_at = "2026-01-01T00:00:00Z",
            });
        });
        await app.StartAsync();
        var url = app.Urls.First();
        self = new GitHubStandIn(app, url);
        return self;
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();

    private static object PullRequestJson(string owner, string repo, int number, string head, string title, string body, bool draft) => new
    {
        url = $"https://api.github.com/repos/{owner}/{repo}/pulls/{number}", id = 1000 + number, number, state = "open", title, body, draft,
        html_url = $"https://github.com/{owner}/{repo}/pull/{number}", merged = false,
        head = new { @ref = head, sha = "0000000000000000000000000000000000000001", label = $"{owner}:{head}" },
        @base = new { @ref = "main", sha = "0000000000000000000000000000000000000002", label = $"{owner}:main" },
        created_at = "2026-01-01T00:00:00Z", updated_at = "2026-01-01T00:00:00Z",
    };

    private static object CheckRun(long id, string name, string conclusion, string owner, string repo, string sha, string title, string summary) => new
    {
        id, name, head_sha = sha, status = "completed", conclusion, node_id = "CR" + id,
        url = $"https://api.github.com/repos/{owner}/{repo}/check-runs/{id}", html_url = $"https://github.com/{owner}/{repo}/runs/{id}",
        details_url = "", external_id = "", started_at = "2026-01-01T00:00:00Z", completed_at = "2026-01-01T00:01:00Z",
        output = new { title, summary, text = "", annotations_count = conclusion == "failure" ? 1 : 0, annotations_url = "" },
        check_suite = new { id = 5 }, pull_requests = Array.Empty<object>(),
    };
}

/// <summary>A pull request Konduktor opened on the stand-in.</summary>
public sealed record OpenedPullRequest(int Number, string Head, string Title, string Body, bool Draft, string Authorization, bool Open = true);

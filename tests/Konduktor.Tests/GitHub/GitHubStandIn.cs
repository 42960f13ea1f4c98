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

    /// <summary>Reviews of a pull request, as GET /repos/{owner}/{repo}/pulls/{number}/reviews answers them.</summary>
    public ConcurrentDictionary<int, ConcurrentQueue<object>> Reviews { get; } = new();

    /// <summary>A review's body and inline comments, as GET …/reviews/{id} and …/reviews/{id}/comments answer them.</summary>
    public ConcurrentDictionary<long, string> ReviewBodies { get; } = new();

    public ConcurrentDictionary<long, (string Path, int Line, string Body)[]> ReviewComments { get; } = new();

    /// <summary>Answers 304 Not Modified gave (a conditional request whose ETag still matched).</summary>
    public int NotModified => _notModified;

    /// <summary>The requests answered 304, as "METHOD path".</summary>
    public ConcurrentBag<string> NotModifiedRequests { get; } = [];

    /// <summary>What X-RateLimit-Remaining says on every answer.</summary>
    public int RateLimitRemaining { get; set; } = 5000;

    private int _notModified;

    /// <summary>Merges or closes a pull request Konduktor opened, as a person would on GitHub; a merge closes the issues its body says it closes.</summary>
    public void Finish(int number, bool merged)
    {
        var now = DateTimeOffset.UtcNow;
        PullRequests[number] = PullRequests[number] with { Open = false, Merged = merged, ClosedAt = now };
        if (merged)
        {
            foreach (System.Text.RegularExpressions.Match closes in System.Text.RegularExpressions.Regex.Matches(PullRequests[number].Body, @"(?i)\b(?:close[sd]?|fix(?:e[sd])?|resolve[sd]?) #(\d+)"))
            {
                EditIssue(int.Parse(closes.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), i => i with { Open = false });
            }
        }
    }

    /// <summary>The repository's issues, by number (numbered with the pull requests, as on GitHub).</summary>
    public ConcurrentDictionary<int, StandInIssue> Issues { get; } = new();

    /// <summary>Comments on issues (and pull requests), as GET …/issues/{number}/comments lists them: people's, and Konduktor's posted ones.</summary>
    public ConcurrentQueue<(int Issue, long Id, string Author, string Body, DateTimeOffset CreatedAt)> Comments { get; } = new();

    /// <summary>Who may write to the repository (GET …/collaborators/{login}/permission says "write"); anyone else reads.</summary>
    public ConcurrentDictionary<string, bool> Writers { get; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>A person comments on an issue, as on GitHub.</summary>
    public (long Id, DateTimeOffset CreatedAt) Comment(int issue, string author, string body)
    {
        var comment = (issue, Random.Shared.NextInt64(1, long.MaxValue), author, body, DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.ToUnixTimeSeconds()));
        Comments.Enqueue(comment);
        return (comment.Item2, comment.Item5);
    }

    private DateTimeOffset _lastIssueChange = DateTimeOffset.UtcNow.AddMinutes(-10);

    /// <summary>Opens an issue in a repository (ORG/REPO), as a person would on GitHub; its number.</summary>
    public int OpenIssue(string repository, string title, string body, params string[] labels)
    {
        var number = Interlocked.Increment(ref _lastNumber);
        Issues[number] = new StandInIssue(repository, number, title, body, labels, true, NextChange());
        return number;
    }

    /// <summary>Changes an issue (its updated_at moves on, a second at least, as GitHub's whole seconds do).</summary>
    public StandInIssue EditIssue(int number, Func<StandInIssue, StandInIssue> change)
    {
        lock (Issues)
        {
            return Issues[number] = change(Issues[number]) with { UpdatedAt = NextChange() };
        }
    }

    private DateTimeOffset NextChange()
    {
        lock (Issues)
        {
            var now = DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.ToUnixTimeSeconds());
            return _lastIssueChange = now > _lastIssueChange ? now : _lastIssueChange.AddSeconds(1);
        }
    }

    /// <summary>A review of a pull request (APPROVED, CHANGES_REQUESTED, COMMENTED).</summary>
    public void Review(int number, string state, string body) =>
        Reviews.GetOrAdd(number, _ => new ConcurrentQueue<object>()).Enqueue(new
        {
            id = Random.Shared.NextInt64(1, long.MaxValue), node_id = "R", user = new { login = "reviewer", id = 7 }, body, state,
            html_url = "https://github.com/x", pull_request_url = "https://api.github.com/x", submitted_at = DateTimeOffset.UtcNow.ToString("O"), commit_id = "0000000000000000000000000000000000000001",
            author_association = "MEMBER",
        });

    /// <summary>Answers with an ETag, and 304 when the caller already has this very answer.</summary>
    private IResult Conditional(HttpContext http, object body)
    {
        var json = System.Text.Json.JsonSerializer.Serialize(body);
        var etag = "\"" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(json)))[..20] + "\"";
        http.Response.Headers.ETag = etag;
        if (http.Request.Headers.IfNoneMatch.ToString() == etag)
        {
            Interlocked.Increment(ref _notModified);
            NotModifiedRequests.Add($"{http.Request.Method} {http.Request.Path}");
            return Results.StatusCode(304);
        }

        return Results.Content(json, "application/json");
    }

    /// <summary>Reviews and comments posted through the API (kind: APPROVE, REQUEST_CHANGES, COMMENT, or "issue-comment"), with the Authorization header.</summary>
    public ConcurrentQueue<(int Number, string Kind, string Body, string Authorization)> Posted { get; } = new();

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
            http.Response.Headers["X-RateLimit-Limit"] = "5000";
            http.Response.Headers["X-RateLimit-Remaining"] = (self?.RateLimitRemaining ?? 5000).ToString(System.Globalization.CultureInfo.InvariantCulture);
            http.Response.Headers["X-RateLimit-Reset"] = DateTimeOffset.UtcNow.AddMinutes(30).ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture);
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
        api.MapGet("/repos/{owner}/{repo}/pulls/{number:int}", (HttpContext http, string owner, string repo, int number) =>
        {
            if (self!.PullRequests.TryGetValue(number, out var opened))
            {
                return self.Conditional(http, PullRequestJson(owner, repo, number, opened.Head, opened.Title, opened.Body, opened.Draft, opened));
            }

            bool? mergeable = null;
            if (self.Mergeable.TryGetValue(number, out var answers))
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
        api.MapGet("/repos/{owner}/{repo}/pulls/{number:int}/reviews/{review:long}", (long review) =>
            self!.ReviewBodies.TryGetValue(review, out var body)
                ? Results.Json(new { id = review, node_id = "R", user = new { login = "reviewer", id = 7 }, body, state = "CHANGES_REQUESTED", html_url = "https://github.com/x", pull_request_url = "https://api.github.com/x", submitted_at = "2026-01-01T00:00:00Z", commit_id = "0000000000000000000000000000000000000001", author_association = "MEMBER" })
                : Results.NotFound());
        api.MapGet("/repos/{owner}/{repo}/pulls/{number:int}/reviews/{review:long}/comments", (long review) =>
            Results.Json(self!.ReviewComments.TryGetValue(review, out var comments) ? comments.Select(c => new { id = 1, path = c.Path, line = c.Line, original_line = c.Line, body = c.Body, pull_request_review_id = review }).ToArray() : []));
        api.MapGet("/repos/{owner}/{repo}/pulls/{number:int}/reviews", (HttpContext http, int number) =>
            self!.Conditional(http, self.Reviews.TryGetValue(number, out var reviews) ? reviews.ToArray() : Array.Empty<object>()));
        api.MapPost("/repos/{owner}/{repo}/pulls/{number:int}/reviews", async (HttpContext http, string owner, string repo, int number) =>
        {
            if (!self!.PullRequests.ContainsKey(number))
            {
                return Results.Json(new { message = "Not Found", documentation_url = "https://docs.github.com/rest" }, statusCode: 404);
            }

            var body = System.Text.Json.JsonDocument.Parse(await new StreamReader(http.Request.Body).ReadToEndAsync()).RootElement;
            var kind = body.GetProperty("event").GetString()!;
            var text = body.TryGetProperty("body", out var b) ? b.GetString() ?? "" : "";
            self.Posted.Enqueue((number, kind, text, http.Request.Headers.Authorization.ToString()));
            var id = Random.Shared.NextInt64(1, long.MaxValue);
            return Results.Json(new
            {
                id, node_id = "R", user = new { login = "konduktor", id = 8 }, body = text, state = kind == "APPROVE" ? "APPROVED" : kind == "REQUEST_CHANGES" ? "CHANGES_REQUESTED" : "COMMENTED",
                html_url = $"https://github.com/{owner}/{repo}/pull/{number}#pullrequestreview-{id}", pull_request_url = $"https://api.github.com/repos/{owner}/{repo}/pulls/{number}",
                submitted_at = DateTimeOffset.UtcNow.ToString("O"), commit_id = "0000000000000000000000000000000000000001", author_association = "OWNER",
            });
        });
        api.MapGet("/repos/{owner}/{repo}/issues", (HttpContext http, string owner, string repo) =>
        {
            var query = http.Request.Query;
            var labels = query["labels"].ToString().Split(',', StringSplitOptions.RemoveEmptyEntries);
            var state = query["state"].ToString() is { Length: > 0 } s ? s : "open";
            DateTimeOffset? since = query["since"].ToString() is { Length: > 0 } at ? DateTimeOffset.Parse(at, System.Globalization.CultureInfo.InvariantCulture) : null;
            var perPage = int.TryParse(query["per_page"], out var pp) ? pp : 30;
            var page = int.TryParse(query["page"], out var p) ? p : 1;
            var matching = self!.Issues.Values
                .Where(i => i.Repository == $"{owner}/{repo}")
                .Where(i => state == "all" || (state == "open") == i.Open)
                .Where(i => labels.All(l => i.Labels.Contains(l, StringComparer.OrdinalIgnoreCase)))
                .Where(i => since is null || i.UpdatedAt >= since)
                .OrderBy(i => i.UpdatedAt).ThenBy(i => i.Number)
                .ToList();
            if (matching.Count > page * perPage)
            {
                var next = string.Join('&', query.Where(q => q.Key != "page").Select(q => $"{q.Key}={Uri.EscapeDataString(q.Value.ToString())}").Append($"page={page + 1}"));
                http.Response.Headers.Link = $"<{self.Url}/api/v3/repos/{owner}/{repo}/issues?{next}>; rel=\"next\"";
            }

            return self.Conditional(http, matching.Skip((page - 1) * perPage).Take(perPage).Select(i => GitHubPayloads.IssueJson($"{owner}/{repo}", i.Number, i.Title, i.Body, i.Labels, i.Open, i.UpdatedAt)).ToArray());
        });
        api.MapGet("/repos/{owner}/{repo}/issues/{number:int}", (HttpContext http, string owner, string repo, int number) =>
            self!.Issues.TryGetValue(number, out var i)
                ? self.Conditional(http, GitHubPayloads.IssueJson($"{owner}/{repo}", i.Number, i.Title, i.Body, i.Labels, i.Open, i.UpdatedAt))
                : Results.Json(new { message = "Not Found", documentation_url = "https://docs.github.com/rest" }, statusCode: 404));
        api.MapGet("/repos/{owner}/{repo}/issues/{number:int}/comments", (HttpContext http, string owner, string repo, int number) =>
        {
            DateTimeOffset? since = http.Request.Query["since"].ToString() is { Length: > 0 } at ? DateTimeOffset.Parse(at, System.Globalization.CultureInfo.InvariantCulture) : null;
            return self!.Conditional(http, self.Comments.Where(c => c.Issue == number && (since is null || c.CreatedAt >= since)).Select(c => new
            {
                id = c.Id, node_id = "IC", url = $"https://api.github.com/repos/{owner}/{repo}/issues/comments/{c.Id}", html_url = $"https://github.com/{owner}/{repo}/issues/{number}#issuecomment-{c.Id}",
                body = c.Body, user = new { login = c.Author, id = 9 }, created_at = c.CreatedAt.ToString("yyyy-MM-ddTHH:mm:ssZ"), updated_at = c.CreatedAt.ToString("yyyy-MM-ddTHH:mm:ssZ"),
                author_association = self.Writers.ContainsKey(c.Author) ? "COLLABORATOR" : "NONE", issue_url = $"https://api.github.com/repos/{owner}/{repo}/issues/{number}",
            }).ToArray());
        });
        api.MapGet("/repos/{owner}/{repo}/collaborators/{login}/permission", (string login) =>
            self!.Writers.ContainsKey(login)
                ? Results.Json(new { permission = "write", role_name = "write", user = new { login, id = 9 } })
                : Results.Json(new { permission = "read", role_name = "read", user = new { login, id = 10 } }));
        api.MapPost("/repos/{owner}/{repo}/issues/{number:int}/comments", async (HttpContext http, string owner, string repo, int number) =>
        {
            if (!self!.PullRequests.ContainsKey(number) && !self.Issues.ContainsKey(number))
            {
                return Results.Json(new { message = "Not Found", documentation_url = "https://docs.github.com/rest" }, statusCode: 404);
            }

            var text = System.Text.Json.JsonDocument.Parse(await new StreamReader(http.Request.Body).ReadToEndAsync()).RootElement.GetProperty("body").GetString()!;
            self.Posted.Enqueue((number, "issue-comment", text, http.Request.Headers.Authorization.ToString()));
            var id = Random.Shared.NextInt64(1, long.MaxValue);
            self.Comments.Enqueue((number, id, "konduktor", text, DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.ToUnixTimeSeconds())));
            return Results.Json(new
            {
                id, node_id = "C", url = $"https://api.github.com/repos/{owner}/{repo}/issues/comments/{id}", html_url = $"https://github.com/{owner}/{repo}/pull/{number}#issuecomment-{id}",
                body = text, user = new { login = "konduktor", id = 8 }, created_at = DateTimeOffset.UtcNow.ToString("O"), updated_at = DateTimeOffset.UtcNow.ToString("O"), author_association = "OWNER",
            }, statusCode: 201);
        });
        await app.StartAsync();
        var url = app.Urls.First();
        self = new GitHubStandIn(app, url);
        return self;
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();

    private static object PullRequestJson(string owner, string repo, int number, string head, string title, string body, bool draft, OpenedPullRequest? state = null) => new
    {
        url = $"https://api.github.com/repos/{owner}/{repo}/pulls/{number}", id = 1000 + number, number, state = state is { Open: false } ? "closed" : "open", title, body, draft,
        html_url = $"https://github.com/{owner}/{repo}/pull/{number}", merged = state?.Merged ?? false,
        merged_at = state is { Merged: true } ? state.ClosedAt?.ToString("O") : null, closed_at = state?.ClosedAt?.ToString("O"),
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

/// <summary>An issue of the stand-in's repository.</summary>
public sealed record StandInIssue(string Repository, int Number, string Title, string Body, IReadOnlyList<string> Labels, bool Open, DateTimeOffset UpdatedAt);

/// <summary>A pull request Konduktor opened on the stand-in.</summary>
public sealed record OpenedPullRequest(int Number, string Head, string Title, string Body, bool Draft, string Authorization, bool Open = true, bool Merged = false, DateTimeOffset? ClosedAt = null);

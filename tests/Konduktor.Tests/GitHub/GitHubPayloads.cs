using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace Konduktor.Tests.GitHub;

/// <summary>
/// Deliveries as GitHub sends them: payloads shaped like the examples octokit/webhooks publishes (the fields
/// GitHub really sends, trimmed of the long URL lists), signed with HMAC-SHA256 of the body like GitHub signs them.
/// </summary>
public static class GitHubPayloads
{
    public static JsonObject Repository(string fullName) => new()
    {
        ["id"] = 186853002, ["node_id"] = "MDEwOlJlcG9zaXRvcnkxODY4NTMwMDI=", ["name"] = fullName.Split('/')[1], ["full_name"] = fullName, ["private"] = false,
        ["owner"] = User(fullName.Split('/')[0]), ["html_url"] = $"https://github.com/{fullName}", ["description"] = null, ["fork"] = false,
        ["url"] = $"https://api.github.com/repos/{fullName}", ["created_at"] = "2019-05-15T15:19:25Z", ["updated_at"] = "2019-05-15T15:21:03Z",
        ["pushed_at"] = "2019-05-15T15:20:57Z", ["default_branch"] = "main", ["visibility"] = "public",
    };

    public static JsonObject User(string login) => new()
    {
        ["login"] = login, ["id"] = 21031067, ["node_id"] = "MDQ6VXNlcjIxMDMxMDY3", ["avatar_url"] = "https://avatars1.githubusercontent.com/u/21031067?v=4",
        ["gravatar_id"] = "", ["url"] = $"https://api.github.com/users/{login}", ["html_url"] = $"https://github.com/{login}", ["type"] = "User", ["site_admin"] = false,
    };

    /// <param name="action">opened, reopened, ready_for_review, closed, synchronize…</param>
    public static string PullRequest(string action, string repository, string branch, int number, bool merged = false, DateTimeOffset? at = null)
    {
        var time = (at ?? DateTimeOffset.UtcNow).ToString("yyyy-MM-ddTHH:mm:ssZ");
        var closed = action == "closed";
        var pr = new JsonObject
        {
            ["url"] = $"https://api.github.com/repos/{repository}/pulls/{number}", ["id"] = 279147437, ["node_id"] = "MDExOlB1bGxSZXF1ZXN0Mjc5MTQ3NDM3",
            ["html_url"] = $"https://github.com/{repository}/pull/{number}", ["diff_url"] = $"https://github.com/{repository}/pull/{number}.diff",
            ["patch_url"] = $"https://github.com/{repository}/pull/{number}.patch", ["issue_url"] = $"https://api.github.com/repos/{repository}/issues/{number}",
            ["number"] = number, ["state"] = closed ? "closed" : "open", ["locked"] = false, ["title"] = "Update the README with new information.", ["user"] = User("Codertocat"),
            ["body"] = "This is a pretty simple change that we need to pull into main.", ["created_at"] = time, ["updated_at"] = time,
            ["closed_at"] = closed ? time : null, ["merged_at"] = closed && merged ? time : null, ["merge_commit_sha"] = null,
            ["assignee"] = null, ["assignees"] = new JsonArray(), ["requested_reviewers"] = new JsonArray(), ["requested_teams"] = new JsonArray(), ["labels"] = new JsonArray(),
            ["milestone"] = null, ["draft"] = false, ["commits_url"] = "", ["review_comments_url"] = "", ["review_comment_url"] = "", ["comments_url"] = "", ["statuses_url"] = "",
            ["head"] = new JsonObject { ["label"] = $"Codertocat:{branch}", ["ref"] = branch, ["sha"] = "ec26c3e57ca3a959ca5aad62de7213c562f8c821", ["user"] = User("Codertocat"), ["repo"] = Repository(repository) },
            ["base"] = new JsonObject { ["label"] = "Codertocat:main", ["ref"] = "main", ["sha"] = "f95f852bd8fca8fcc58a9a2d6c842781e32a215e", ["user"] = User("Codertocat"), ["repo"] = Repository(repository) },
            ["_links"] = Links(repository, number), ["author_association"] = "OWNER", ["auto_merge"] = null, ["active_lock_reason"] = null,
            ["merged"] = closed && merged, ["mergeable"] = null, ["rebaseable"] = null, ["mergeable_state"] = "unknown", ["merged_by"] = closed && merged ? User("Codertocat") : null,
            ["comments"] = 0, ["review_comments"] = 0, ["maintainer_can_modify"] = false, ["commits"] = 1, ["additions"] = 1, ["deletions"] = 1, ["changed_files"] = 1,
        };
        var payload = new JsonObject { ["action"] = action, ["number"] = number, ["pull_request"] = pr, ["repository"] = Repository(repository), ["sender"] = User("Codertocat") };
        if (action == "synchronize")
        {
            payload["before"] = "6113728f27ae82c7b1a177c8d03f9e96e0adf246";
            payload["after"] = "ec26c3e57ca3a959ca5aad62de7213c562f8c821";
        }

        return payload.ToJsonString();
    }

    /// <summary>A check suite that completed; each call is a suite of its own (a re-run gets a new id, as on GitHub).</summary>
    /// <summary>A <c>pull_request_review</c> delivery: a review of the task's PR was submitted.</summary>
    public static string ReviewSubmitted(string repository, string branch, int number, long reviewId, string state, string commitId, string body)
    {
        var payload = JsonNode.Parse(PullRequest("opened", repository, branch, number))!.AsObject();
        payload["action"] = "submitted";
        payload.Remove("number");
        payload["review"] = new JsonObject
        {
            ["id"] = reviewId, ["node_id"] = "PRR_kwDOA", ["user"] = User("reviewer"), ["body"] = body, ["commit_id"] = commitId,
            ["submitted_at"] = DateTimeOffset.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ"), ["state"] = state,
            ["html_url"] = $"https://github.com/{repository}/pull/{number}#pullrequestreview-{reviewId}", ["pull_request_url"] = $"https://api.github.com/repos/{repository}/pulls/{number}",
            ["author_association"] = "MEMBER",
            ["_links"] = new JsonObject
            {
                ["html"] = new JsonObject { ["href"] = $"https://github.com/{repository}/pull/{number}#pullrequestreview-{reviewId}" },
                ["pull_request"] = new JsonObject { ["href"] = $"https://api.github.com/repos/{repository}/pulls/{number}" },
            },
        };
        return payload.ToJsonString();
    }

    /// <summary>An <c>issues</c> delivery (opened, edited, labeled, unlabeled, closed, reopened), shaped like octokit's examples.</summary>
    public static string Issue(string action, string repository, int number, string title, string body, IEnumerable<string> labels, bool open = true, DateTimeOffset? updatedAt = null, string? label = null)
    {
        var payload = new JsonObject { ["action"] = action, ["issue"] = IssueJson(repository, number, title, body, labels, open, updatedAt ?? DateTimeOffset.UtcNow), ["repository"] = Repository(repository), ["sender"] = User("Codertocat") };
        if (label is not null)
        {
            payload["label"] = Label(repository, label);
        }

        return payload.ToJsonString();
    }

    public static JsonObject IssueJson(string repository, int number, string title, string body, IEnumerable<string> labels, bool open, DateTimeOffset updatedAt)
    {
        var api = $"https://api.github.com/repos/{repository}/issues/{number}";
        var time = updatedAt.ToString("yyyy-MM-ddTHH:mm:ssZ");
        return new JsonObject
        {
            ["url"] = api, ["repository_url"] = $"https://api.github.com/repos/{repository}", ["labels_url"] = $"{api}/labels{{/name}}", ["comments_url"] = $"{api}/comments",
            ["events_url"] = $"{api}/events", ["html_url"] = $"https://github.com/{repository}/issues/{number}", ["id"] = 444500000 + number, ["node_id"] = "MDU6SXNzdWU0NDQ1MDAwNDE=",
            ["number"] = number, ["title"] = title, ["user"] = User("Codertocat"), ["labels"] = new JsonArray(labels.Select(l => (JsonNode)Label(repository, l)).ToArray()),
            ["state"] = open ? "open" : "closed", ["locked"] = false, ["assignee"] = null, ["assignees"] = new JsonArray(), ["milestone"] = null, ["comments"] = 0,
            ["created_at"] = "2019-05-15T15:20:18Z", ["updated_at"] = time, ["closed_at"] = open ? null : time, ["author_association"] = "OWNER",
            ["active_lock_reason"] = null, ["body"] = body, ["performed_via_github_app"] = null, ["timeline_url"] = $"{api}/timeline", ["state_reason"] = open ? null : "completed",
            ["reactions"] = new JsonObject
            {
                ["url"] = $"{api}/reactions", ["total_count"] = 0, ["+1"] = 0, ["-1"] = 0, ["laugh"] = 0, ["hooray"] = 0, ["confused"] = 0, ["heart"] = 0, ["rocket"] = 0, ["eyes"] = 0,
            },
        };
    }

    /// <summary>An <c>issue_comment</c> delivery: someone commented on an issue.</summary>
    public static string IssueComment(string repository, int number, long commentId, string author, string body, DateTimeOffset createdAt) => new JsonObject
    {
        ["action"] = "created",
        ["issue"] = IssueJson(repository, number, "An issue", "", [], true, createdAt),
        ["comment"] = new JsonObject
        {
            ["url"] = $"https://api.github.com/repos/{repository}/issues/comments/{commentId}", ["html_url"] = $"https://github.com/{repository}/issues/{number}#issuecomment-{commentId}",
            ["issue_url"] = $"https://api.github.com/repos/{repository}/issues/{number}", ["id"] = commentId, ["node_id"] = "MDEyOklzc3VlQ29tbWVudDQ5MjcwMDQwMA==",
            ["user"] = User(author), ["created_at"] = createdAt.ToString("yyyy-MM-ddTHH:mm:ssZ"), ["updated_at"] = createdAt.ToString("yyyy-MM-ddTHH:mm:ssZ"),
            ["author_association"] = "OWNER", ["body"] = body, ["performed_via_github_app"] = null,
            ["reactions"] = new JsonObject { ["url"] = "", ["total_count"] = 0, ["+1"] = 0, ["-1"] = 0, ["laugh"] = 0, ["hooray"] = 0, ["confused"] = 0, ["heart"] = 0, ["rocket"] = 0, ["eyes"] = 0 },
        },
        ["repository"] = Repository(repository), ["sender"] = User(author),
    }.ToJsonString();

    private static JsonObject Label(string repository, string name) => new()
    {
        ["id"] = 1362934389 + name.Length, ["node_id"] = "MDU6TGFiZWwxMzYyOTM0Mzg5", ["url"] = $"https://api.github.com/repos/{repository}/labels/{Uri.EscapeDataString(name)}",
        ["name"] = name, ["color"] = "d73a4a", ["default"] = false, ["description"] = null,
    };

    public static string CheckSuiteCompleted(string repository, string branch, string headSha, string conclusion) => new JsonObject
    {
        ["action"] = "completed",
        ["check_suite"] = new JsonObject
        {
            ["id"] = Random.Shared.NextInt64(100_000_000, 999_999_999), ["node_id"] = "MDEwOkNoZWNrU3VpdGUxMTg1NzgxNDc=", ["head_branch"] = branch, ["head_sha"] = headSha, ["status"] = "completed",
            ["conclusion"] = conclusion, ["url"] = $"https://api.github.com/repos/{repository}/check-suites/118578147", ["before"] = "6113728f27ae82c7b1a177c8d03f9e96e0adf246",
            ["after"] = headSha, ["pull_requests"] = new JsonArray(), ["app"] = App(), ["created_at"] = "2019-05-15T15:20:31Z", ["updated_at"] = "2019-05-15T15:21:14Z",
            ["latest_check_runs_count"] = 1, ["check_runs_url"] = $"https://api.github.com/repos/{repository}/check-suites/118578147/check-runs",
            ["head_commit"] = new JsonObject
            {
                ["id"] = headSha, ["tree_id"] = "31b122c26a97cf9af023e9ddab94a82c6e77b0ea", ["message"] = "Fix the thing", ["timestamp"] = "2019-05-15T15:20:30Z",
                ["author"] = new JsonObject { ["name"] = "Codertocat", ["email"] = "21031067+Codertocat@users.noreply.github.com" },
                ["committer"] = new JsonObject { ["name"] = "Codertocat", ["email"] = "21031067+Codertocat@users.noreply.github.com" },
            },
            ["rerequestable"] = true, ["runs_rerequestable"] = true,
        },
        ["repository"] = Repository(repository), ["sender"] = User("Codertocat"),
    }.ToJsonString();

    public static string Push(string repository, string gitRef, string after) => new JsonObject
    {
        ["ref"] = gitRef, ["before"] = "6113728f27ae82c7b1a177c8d03f9e96e0adf246", ["after"] = after, ["created"] = false, ["deleted"] = false, ["forced"] = false,
        ["base_ref"] = null, ["compare"] = $"https://github.com/{repository}/compare/6113728f27ae...{after[..12]}", ["commits"] = new JsonArray(), ["head_commit"] = null,
        ["repository"] = Repository(repository), ["pusher"] = new JsonObject { ["name"] = "Codertocat", ["email"] = "21031067+Codertocat@users.noreply.github.com" },
        ["sender"] = User("Codertocat"),
    }.ToJsonString();

    private static JsonObject App() => new()
    {
        ["id"] = 29310, ["slug"] = "octocoders-linter", ["node_id"] = "MDExOkludGVncmF0aW9uMjkzMTA=", ["owner"] = User("Octocoders"), ["name"] = "octocoders-linter",
        ["description"] = "", ["external_url"] = "https://octocoders.io", ["html_url"] = "https://github.com/apps/octocoders-linter",
        ["created_at"] = "2019-04-19T19:36:24Z", ["updated_at"] = "2019-04-19T19:36:56Z", ["permissions"] = new JsonObject(), ["events"] = new JsonArray(),
    };

    private static JsonObject Links(string repository, int number)
    {
        JsonObject Href(string url) => new() { ["href"] = url };
        var api = $"https://api.github.com/repos/{repository}";
        return new JsonObject
        {
            ["self"] = Href($"{api}/pulls/{number}"), ["html"] = Href($"https://github.com/{repository}/pull/{number}"), ["issue"] = Href($"{api}/issues/{number}"),
            ["comments"] = Href($"{api}/issues/{number}/comments"), ["review_comments"] = Href($"{api}/pulls/{number}/comments"),
            ["review_comment"] = Href($"{api}/pulls/comments{{/number}}"), ["commits"] = Href($"{api}/pulls/{number}/commits"),
            ["statuses"] = Href($"{api}/statuses/ec26c3e57ca3a959ca5aad62de7213c562f8c821"),
        };
    }

    public static string Signature(string secret, byte[] body) => "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), body));

    /// <summary>A delivery request as GitHub makes it; pass null to leave a header out.</summary>
    public static HttpRequestMessage Delivery(string payloadUrl, string eventName, string body, string? secret, string? delivery = null, string? signature = null, string contentType = "application/json")
    {
        var bytes = Encoding.UTF8.GetBytes(body);
        var request = new HttpRequestMessage(HttpMethod.Post, payloadUrl) { Content = new ByteArrayContent(bytes) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        request.Headers.Add("X-GitHub-Event", eventName);
        request.Headers.Add("X-GitHub-Delivery", delivery ?? Guid.NewGuid().ToString());
        request.Headers.Add("User-Agent", "GitHub-Hookshot/044aadd");
        if (signature is not null || secret is not null)
        {
            request.Headers.Add("X-Hub-Signature-256", signature ?? Signature(secret!, bytes));
        }

        return request;
    }
}

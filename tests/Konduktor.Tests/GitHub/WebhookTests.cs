using System.Net;
using System.Text.Json;
using Konduktor.Core.Tasks;
using Konduktor.Tests.Infrastructure;

namespace Konduktor.Tests.GitHub;

/// <summary>Signed webhook deliveries through the real HTTP route of `up`'s host move tasks with their pull requests.</summary>
public sealed class WebhookTests(SessionsHost host) : IClassFixture<SessionsHost>
{
    private readonly SessionDriver _driver = new(host.Up);

    [Fact]
    public async Task A_pull_request_opened_merged_or_closed_moves_its_task_and_records_the_pr()
    {
        var (workspace, repository, webhook) = await GitHubWorkspaceAsync();
        var merged = await _driver.CreateTaskAsync(workspace, "Merge me", "");
        var closed = await _driver.CreateTaskAsync(workspace, "Close me", "");
        using var http = new HttpClient();

        var opened = await http.SendAsync(GitHubPayloads.Delivery(webhook.PayloadUrl, "pull_request", GitHubPayloads.PullRequest("opened", repository, Branch(merged), 7), webhook.Secret));
        Assert.Equal(HttpStatusCode.OK, opened.StatusCode);
        var afterOpen = await _driver.GetTaskAsync(workspace, merged.Id);
        Assert.Equal("PR Submitted", afterOpen.Status);
        Assert.Equal(7, afterOpen.PullRequestNumber);
        Assert.Equal($"https://github.com/{repository}/pull/7", afterOpen.PullRequestUrl);
        Assert.Contains($"PR:       #7 https://github.com/{repository}/pull/7", (await host.Up.CliAsync("-w", workspace, "tasks", "show", merged.ShortId)).Output, StringComparison.Ordinal);

        await http.SendAsync(GitHubPayloads.Delivery(webhook.PayloadUrl, "pull_request", GitHubPayloads.PullRequest("closed", repository, Branch(merged), 7, merged: true), webhook.Secret));
        await http.SendAsync(GitHubPayloads.Delivery(webhook.PayloadUrl, "pull_request", GitHubPayloads.PullRequest("opened", repository, Branch(closed), 8), webhook.Secret));
        await http.SendAsync(GitHubPayloads.Delivery(webhook.PayloadUrl, "pull_request", GitHubPayloads.PullRequest("closed", repository, Branch(closed), 8, merged: false), webhook.Secret));

        Assert.Equal("Done", (await _driver.GetTaskAsync(workspace, merged.Id)).Status);
        Assert.Equal("Closed", (await _driver.GetTaskAsync(workspace, closed.Id)).Status);
    }

    [Fact]
    public async Task A_replayed_delivery_has_no_second_effect()
    {
        var (workspace, repository, webhook) = await GitHubWorkspaceAsync();
        var task = await _driver.CreateTaskAsync(workspace, "Once only", "");
        var body = GitHubPayloads.PullRequest("opened", repository, Branch(task), 3);
        var delivery = Guid.NewGuid().ToString();
        using var http = new HttpClient();
        var first = await http.SendAsync(GitHubPayloads.Delivery(webhook.PayloadUrl, "pull_request", body, webhook.Secret, delivery));
        Assert.True(first.StatusCode == HttpStatusCode.OK, await first.Content.ReadAsStringAsync());
        Assert.Equal(0, (await host.Up.CliAsync("-w", workspace, "tasks", "move", task.ShortId, "In progress")).ExitCode);
        var before = await _driver.GetTaskAsync(workspace, task.Id);

        var replay = await http.SendAsync(GitHubPayloads.Delivery(webhook.PayloadUrl, "pull_request", body, webhook.Secret, delivery));

        Assert.Equal(HttpStatusCode.OK, replay.StatusCode);
        Assert.Contains("already processed", await ResultOf(replay), StringComparison.Ordinal);
        var after = await _driver.GetTaskAsync(workspace, task.Id);
        Assert.Equal(("In progress", before.Version), (after.Status, after.Version));
    }

    [Fact]
    public async Task A_signed_body_replayed_under_a_new_delivery_id_has_no_second_effect()
    {
        var (workspace, repository, webhook) = await GitHubWorkspaceAsync();
        var task = await _driver.CreateTaskAsync(workspace, "Replayed", "");
        var body = GitHubPayloads.PullRequest("opened", repository, Branch(task), 4);
        using var http = new HttpClient();
        Assert.Equal(HttpStatusCode.OK, (await http.SendAsync(GitHubPayloads.Delivery(webhook.PayloadUrl, "pull_request", body, webhook.Secret))).StatusCode);
        Assert.Equal(0, (await host.Up.CliAsync("-w", workspace, "tasks", "move", task.ShortId, "In progress")).ExitCode);
        var before = await _driver.GetTaskAsync(workspace, task.Id);

        var replay = await http.SendAsync(GitHubPayloads.Delivery(webhook.PayloadUrl, "pull_request", body, webhook.Secret, Guid.NewGuid().ToString()));

        Assert.Equal(HttpStatusCode.OK, replay.StatusCode);
        Assert.Contains("same payload under another delivery id", await ResultOf(replay), StringComparison.Ordinal);
        Assert.Equal(before.Version, (await _driver.GetTaskAsync(workspace, task.Id)).Version);
    }

    [Theory]
    [InlineData("unknown workspace", 404)]
    [InlineData("no signature", 401)]
    [InlineData("no delivery id", 400)]
    public async Task A_delivery_that_is_nobodys_is_refused_before_its_body_is_sent(string what, int expected)
    {
        var (_, _, webhook) = await GitHubWorkspaceAsync();
        var url = new Uri(what == "unknown workspace" ? webhook.PayloadUrl[..webhook.PayloadUrl.LastIndexOf('/')] + "/" + Guid.NewGuid() : webhook.PayloadUrl);
        var headers = new List<string>
        {
            $"POST {url.PathAndQuery} HTTP/1.1", $"Host: {url.Authority}", "Content-Type: application/json", $"Content-Length: {25 * 1024 * 1024}",
            "X-GitHub-Event: pull_request",
        };
        if (what != "no delivery id")
        {
            headers.Add($"X-GitHub-Delivery: {Guid.NewGuid()}");
        }

        if (what != "no signature")
        {
            headers.Add("X-Hub-Signature-256: sha256=" + new string('0', 64));
        }

        // Only the headers go out: were the body read, no answer would come until the read timed out.
        using var client = new System.Net.Sockets.TcpClient();
        await client.ConnectAsync(url.Host, url.Port);
        var stream = client.GetStream();
        await stream.WriteAsync(System.Text.Encoding.ASCII.GetBytes(string.Join("\r\n", headers) + "\r\n\r\n"));
        using var reader = new StreamReader(stream);
        var status = await reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(15));

        Assert.StartsWith($"HTTP/1.1 {expected} ", status, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_persons_later_move_wins_over_a_stale_event()
    {
        var (workspace, repository, webhook) = await GitHubWorkspaceAsync();
        var task = await _driver.CreateTaskAsync(workspace, "Moved by hand", "");
        var eventTime = DateTimeOffset.UtcNow.AddMinutes(-5);
        Assert.Equal(0, (await host.Up.CliAsync("-w", workspace, "tasks", "move", task.ShortId, "Ideas")).ExitCode);
        using var http = new HttpClient();

        var response = await http.SendAsync(GitHubPayloads.Delivery(webhook.PayloadUrl, "pull_request", GitHubPayloads.PullRequest("closed", repository, Branch(task), 4, merged: true, at: eventTime), webhook.Secret));

        Assert.Contains("moved after this event", await ResultOf(response), StringComparison.Ordinal);
        var after = await _driver.GetTaskAsync(workspace, task.Id);
        Assert.Equal("Ideas", after.Status);
        Assert.Equal(4, after.PullRequestNumber);
    }

    public static TheoryData<string, HttpStatusCode> BadDeliveries() => new()
    {
        { "wrong signature", HttpStatusCode.Unauthorized },
        { "no signature", HttpStatusCode.Unauthorized },
        { "signed with another workspace's secret", HttpStatusCode.Unauthorized },
        { "truncated body", HttpStatusCode.Unauthorized },
        { "form content type", HttpStatusCode.BadRequest },
        { "no delivery id", HttpStatusCode.BadRequest },
        { "malformed json, validly signed", HttpStatusCode.BadRequest },
        { "huge body", HttpStatusCode.RequestEntityTooLarge },
        { "unknown workspace", HttpStatusCode.NotFound },
    };

    [Theory]
    [MemberData(nameof(BadDeliveries))]
    public async Task A_bad_delivery_gets_a_4xx_and_changes_nothing(string flaw, HttpStatusCode expected)
    {
        var (workspace, repository, webhook) = await GitHubWorkspaceAsync();
        var (_, _, other) = await GitHubWorkspaceAsync();
        var task = await _driver.CreateTaskAsync(workspace, "Untouched", "");
        var body = GitHubPayloads.PullRequest("opened", repository, Branch(task), 9);
        var url = flaw == "unknown workspace" ? webhook.PayloadUrl[..webhook.PayloadUrl.LastIndexOf('/')] + "/" + Guid.NewGuid() : webhook.PayloadUrl;
        using var request = flaw switch
        {
            "wrong signature" => GitHubPayloads.Delivery(url, "pull_request", body, null, signature: "sha256=" + new string('0', 64)),
            "no signature" => GitHubPayloads.Delivery(url, "pull_request", body, null),
            "signed with another workspace's secret" => GitHubPayloads.Delivery(url, "pull_request", body, other.Secret),
            "truncated body" => GitHubPayloads.Delivery(url, "pull_request", body[..(body.Length / 2)], null, signature: GitHubPayloads.Signature(webhook.Secret, System.Text.Encoding.UTF8.GetBytes(body))),
            "form content type" => GitHubPayloads.Delivery(url, "pull_request", body, webhook.Secret, contentType: "application/x-www-form-urlencoded"),
            "malformed json, validly signed" => GitHubPayloads.Delivery(url, "pull_request", "{\"action\": \"opened\", \"pull_request\": [", webhook.Secret),
            "huge body" => GitHubPayloads.Delivery(url, "pull_request", body + new string(' ', 26 * 1024 * 1024), webhook.Secret),
            _ => GitHubPayloads.Delivery(url, "pull_request", body, webhook.Secret),
        };
        request.Headers.ExpectContinue = flaw == "huge body";
        if (flaw == "no delivery id")
        {
            request.Headers.Remove("X-GitHub-Delivery");
        }

        using var http = new HttpClient();
        var response = await http.SendAsync(request);

        Assert.Equal(expected, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var after = await _driver.GetTaskAsync(workspace, task.Id);
        Assert.Equal((task.Status, task.Version), (after.Status, after.Version));
    }

    [Theory]
    [InlineData("someone/elsewhere", "konduktor/{short}-x", "ignored: someone/elsewhere is not this workspace's repository")]
    [InlineData(null, "feature/not-a-task", "ignored: branch feature/not-a-task is not a task's")]
    [InlineData(null, "konduktor/0000abcd-nobody", "ignored: no task 0000abcd")]
    public async Task Deliveries_for_other_repositories_branches_or_events_are_acknowledged_and_ignored(string? repositoryOverride, string branch, string expected)
    {
        var (workspace, repository, webhook) = await GitHubWorkspaceAsync();
        var task = await _driver.CreateTaskAsync(workspace, "Bystander", "");
        using var http = new HttpClient();

        var response = await http.SendAsync(GitHubPayloads.Delivery(webhook.PayloadUrl, "pull_request",
            GitHubPayloads.PullRequest("opened", repositoryOverride ?? repository, branch.Replace("{short}", task.ShortId, StringComparison.Ordinal), 11), webhook.Secret));
        var unused = await http.SendAsync(GitHubPayloads.Delivery(webhook.PayloadUrl, "star", "{\"action\":\"created\",\"starred_at\":\"2024-01-01T00:00:00Z\",\"repository\":{},\"sender\":{}}", webhook.Secret));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains(expected, await ResultOf(response), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, unused.StatusCode);
        Assert.Contains("does not use star events", await ResultOf(unused), StringComparison.Ordinal);
        Assert.Equal(task.Version, (await _driver.GetTaskAsync(workspace, task.Id)).Version);
    }

    private async Task<(string Workspace, string Repository, Konduktor.Core.GitHub.WebhookView Webhook)> GitHubWorkspaceAsync()
    {
        var name = "gh" + Guid.NewGuid().ToString("N")[..10];
        var repository = $"acme/{name}";
        Assert.Equal(0, (await host.Up.CliAsync("workspaces", "create", repository)).ExitCode);
        var webhook = await host.Up.CliAsync("workspaces", "webhook", name, "--json");
        Assert.True(webhook.ExitCode == 0, webhook.ToString());
        return (name, repository, JsonSerializer.Deserialize<Konduktor.Core.GitHub.WebhookView>(webhook.Output, SessionsHost.Json)!);
    }

    private static async Task<string> ResultOf(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("result").GetString()!;

    private static string Branch(TaskItem task) => $"konduktor/{task.ShortId}-{task.Title.ToLowerInvariant().Replace(' ', '-')}";
}

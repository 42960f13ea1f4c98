using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Azure.Data.Tables;
using Konduktor.Tests.Infrastructure;

namespace Konduktor.Tests.EndToEnd;

/// <summary>Every route, fed bad input: a 4xx problem+json a person can act on, and not one byte changed in storage.</summary>
public sealed class BadInputTests(AzuriteFixture azurite, BadInputTests.Host host) : IClassFixture<BadInputTests.Host>
{
    /// <summary>One host for all cases: each case must leave storage exactly as it found it, which the test checks.</summary>
    public sealed class Host(AzuriteFixture azurite) : IAsyncLifetime
    {
        public string Prefix { get; } = AzuriteFixture.NewPrefix();

        public KonduktorUp Up { get; private set; } = null!;

        public string TaskId { get; private set; } = "";

        public string ProjectId { get; private set; } = "";

        /// <summary>A session waiting in the queue (no runner takes it): what a runner's poison report is about.</summary>
        public string QueuedSession { get; private set; } = "";

        public string WorkspaceId { get; private set; } = "";

        /// <summary>A registered runner's credential: the runner protocol's routes are fed bad input by a runner, as in life.</summary>
        public string RunnerToken { get; private set; } = "";

        public async ValueTask InitializeAsync()
        {
            Up = await KonduktorUp.StartAsync(storage: azurite.ConnectionString, prefix: Prefix, extraArguments: ["--no-runner"]);
            await Up.CliAsync("workspaces", "create", "someone/app");
            TaskId = JsonDocument.Parse((await Up.CliAsync("-w", "app", "tasks", "create", "--title", "existing", "--json")).Output).RootElement.GetProperty("id").GetString()!;
            using var http = Up.Http();
            WorkspaceId = JsonDocument.Parse((await Up.CliAsync("--json", "workspaces", "show", "app")).Output).RootElement.GetProperty("id").GetString()!;
            ProjectId = JsonDocument.Parse((await Up.CliAsync("-w", "app", "--json", "projects", "create", "--title", "Checkout", "--phase", "Model")).Output).RootElement.GetProperty("id").GetString()!;
            var queuedTask = JsonDocument.Parse((await Up.CliAsync("-w", "app", "tasks", "create", "--title", "waits in the queue", "--json")).Output).RootElement.GetProperty("id").GetString()!;
            QueuedSession = JsonDocument.Parse((await Up.CliAsync("-w", "app", "--json", "tasks", "run", queuedTask)).Output).RootElement.GetProperty("id").GetString()!;
            var registered = await http.PostAsync("api/runners", new StringContent("{\"name\":\"bad-input-runner\"}", Encoding.UTF8, "application/json"));
            RunnerToken = JsonDocument.Parse(await registered.Content.ReadAsStringAsync()).RootElement.GetProperty("token").GetString()!;
        }

        public ValueTask DisposeAsync() => Up.DisposeAsync();
    }

    public static TheoryData<string, string, string?, HttpStatusCode> Cases()
    {
        var huge = "{\"repository\":\"" + new string('a', 9 * 1024 * 1024) + "\"}";
        var bigDescription = JsonSerializer.Serialize(new { title = "t", description = new string('x', 1024 * 1024 + 1) });
        var bigPrompt = JsonSerializer.Serialize(new { systemPrompt = new string('x', 100_001) });
        return new()
        {
            { "POST", "api/workspaces", "{not json", HttpStatusCode.BadRequest },
            { "POST", "api/workspaces", "", HttpStatusCode.BadRequest },
            { "POST", "api/workspaces", "null", HttpStatusCode.BadRequest },
            { "POST", "api/workspaces", "[]", HttpStatusCode.BadRequest },
            { "POST", "api/workspaces", "{}", HttpStatusCode.BadRequest },
            { "POST", "api/workspaces", "{\"repository\":\"not a url\"}", HttpStatusCode.BadRequest },
            { "POST", "api/workspaces", "{\"repository\":\"myorg/other\",\"colour\":\"red\"}", HttpStatusCode.BadRequest },
            { "POST", "api/workspaces", "{\"repository\":42}", HttpStatusCode.BadRequest },
            { "POST", "api/workspaces", "{\"repository\":\"myorg/other\",\"name\":\"bad name!\"}", HttpStatusCode.BadRequest },
            { "POST", "api/workspaces", "{\"repository\":\"myorg/other\",\"defaultBranch\":\"--force\"}", HttpStatusCode.BadRequest },
            { "POST", "api/workspaces", "{\"repository\":\"someone/app\"}", HttpStatusCode.Conflict },
            { "POST", "api/workspaces", huge, HttpStatusCode.RequestEntityTooLarge },
            { "GET", "api/workspaces/nope", null, HttpStatusCode.NotFound },
            { "DELETE", "api/workspaces/nope", null, HttpStatusCode.NotFound },
            { "DELETE", "api/workspaces/app", null, HttpStatusCode.Conflict },
            { "GET", "api/workspaces/nope/config", null, HttpStatusCode.NotFound },
            { "PATCH", "api/workspaces/app/config", "{\"autoFixCi\":\"yes\"}", HttpStatusCode.BadRequest },
            { "PATCH", "api/workspaces/app/config", "{\"systemPrompt\":\"   \"}", HttpStatusCode.BadRequest },
            { "PATCH", "api/workspaces/app/config", "{\"unknown\":true}", HttpStatusCode.BadRequest },
            { "PATCH", "api/workspaces/app/config", bigPrompt, HttpStatusCode.RequestEntityTooLarge },
            { "PATCH", "api/workspaces/app/config", "{\"defaultBranch\":\"a..b\"}", HttpStatusCode.BadRequest },
            { "POST", "api/workspaces/app/tasks", "{\"title\":\"\"}", HttpStatusCode.BadRequest },
            { "POST", "api/workspaces/app/docs", "{\"title\":\"\"}", HttpStatusCode.BadRequest },
            { "POST", "api/workspaces/app/docs", "{\"title\":\"Plan\",\"slug\":\"Bad Slug\"}", HttpStatusCode.BadRequest },
            { "POST", "api/workspaces/app/docs", JsonSerializer.Serialize(new { title = "Huge", content = new string('x', 4 * 1024 * 1024 + 1) }), HttpStatusCode.RequestEntityTooLarge },
            { "GET", "api/workspaces/app/docs/no-such-doc", null, HttpStatusCode.NotFound },
            { "GET", "api/workspaces/app/docs/no-such-doc?version=first", null, HttpStatusCode.BadRequest },
            { "PATCH", "api/workspaces/app/docs/no-such-doc", "{\"content\":\"x\"}", HttpStatusCode.NotFound },
            { "DELETE", "api/workspaces/app/docs/no-such-doc", null, HttpStatusCode.NotFound },
            { "POST", "api/workspaces/app/questions", "{\"text\":\"  \"}", HttpStatusCode.BadRequest },
            { "POST", "api/workspaces/app/questions", "{\"text\":\"Why?\",\"task\":\"00000000\"}", HttpStatusCode.NotFound },
            { "POST", "api/workspaces/app/questions", JsonSerializer.Serialize(new { text = new string('q', 20_001) }), HttpStatusCode.RequestEntityTooLarge },
            { "GET", "api/workspaces/app/questions/not-an-id", null, HttpStatusCode.BadRequest },
            { "POST", "api/workspaces/app/questions/00000000/answer", "{\"text\":\"yes\"}", HttpStatusCode.NotFound },
            { "POST", "api/workspaces/app/questions/00000000/dismiss", null, HttpStatusCode.NotFound },
            { "POST", "api/runners/registrations", "{\"name\":\"bad name!\"}", HttpStatusCode.BadRequest },
            { "DELETE", "api/runners/nobody", null, HttpStatusCode.NotFound },
            { "POST", "api/workspaces/app/agents", "{}", HttpStatusCode.BadRequest },
            { "POST", "api/workspaces/app/agents", "{\"preset\":\"poet\"}", HttpStatusCode.BadRequest },
            { "POST", "api/workspaces/app/agents", "{\"name\":\"x\",\"prompt\":\"p\",\"every\":\"often\"}", HttpStatusCode.BadRequest },
            { "POST", "api/workspaces/app/agents", "{\"name\":\"x\",\"prompt\":\"p\",\"every\":\"10s\"}", HttpStatusCode.BadRequest },
            { "POST", "api/workspaces/app/agents", "{\"name\":\"Bad Name!\",\"preset\":\"digest\"}", HttpStatusCode.BadRequest },
            { "POST", "api/workspaces/app/agents", "{\"preset\":\"digest\",\"maxTurns\":0}", HttpStatusCode.BadRequest },
            { "GET", "api/workspaces/app/agents/nobody", null, HttpStatusCode.NotFound },
            { "PATCH", "api/workspaces/app/agents/nobody", "{\"every\":\"1h\"}", HttpStatusCode.NotFound },
            { "POST", "api/workspaces/app/agents/nobody/run", null, HttpStatusCode.NotFound },
            { "DELETE", "api/workspaces/app/agents/nobody", null, HttpStatusCode.NotFound },
            { "POST", "api/workspaces/app/tasks", "{\"title\":\"" + new string('t', 201) + "\"}", HttpStatusCode.BadRequest },
            { "POST", "api/workspaces/app/tasks", "{\"title\":\"t\",\"status\":\"Doing\"}", HttpStatusCode.BadRequest },
            { "POST", "api/workspaces/app/tasks", "{\"title\":\"t\",\"priority\":\"critical\"}", HttpStatusCode.BadRequest },
            { "POST", "api/workspaces/app/tasks", "{\"title\":\"t\",\"priority\":3}", HttpStatusCode.BadRequest },
            { "POST", "api/workspaces/app/tasks", "{\"title\":\"t\",\"tags\":[\"has space\"]}", HttpStatusCode.BadRequest },
            { "POST", "api/workspaces/app/tasks", "{\"title\":\"t\",\"tags\":\"bug\"}", HttpStatusCode.BadRequest },
            { "POST", "api/workspaces/app/tasks", "{\"title\":\"t\",\"owner\":\"me\"}", HttpStatusCode.BadRequest },
            { "POST", "api/workspaces/app/tasks", "{\"title\":null}", HttpStatusCode.BadRequest },
            { "POST", "api/workspaces/app/tasks", bigDescription, HttpStatusCode.RequestEntityTooLarge },
            { "POST", "api/workspaces/nope/tasks", "{\"title\":\"t\"}", HttpStatusCode.NotFound },
            { "GET", "api/workspaces/app/tasks?priority=bogus", null, HttpStatusCode.BadRequest },
            { "GET", "api/workspaces/app/tasks?status=Later", null, HttpStatusCode.BadRequest },
            { "GET", "api/workspaces/app/tasks/abcd1234", null, HttpStatusCode.NotFound },
            { "GET", "api/workspaces/app/tasks/zz", null, HttpStatusCode.BadRequest },
            { "GET", "api/workspaces/app/tasks/ab", null, HttpStatusCode.BadRequest },
            { "PATCH", "api/workspaces/app/tasks/{task}", "{\"status\":\"Doing\"}", HttpStatusCode.BadRequest },
            { "PATCH", "api/workspaces/app/tasks/{task}", "{\"title\":\"\"}", HttpStatusCode.BadRequest },
            { "PATCH", "api/workspaces/app/tasks/{task}", "{\"removeTags\":[\"no way\"]}", HttpStatusCode.BadRequest },
            { "PATCH", "api/workspaces/app/tasks/abcd1234", "{\"title\":\"x\"}", HttpStatusCode.NotFound },
            { "POST", "api/workspaces/app/tasks/{task}/move", "{\"status\":\"Doing\"}", HttpStatusCode.BadRequest },
            { "POST", "api/workspaces/app/tasks/{task}/move", "{}", HttpStatusCode.BadRequest },
            { "DELETE", "api/workspaces/app/tasks/abcd1234", null, HttpStatusCode.NotFound },
            { "GET", "api/workspaces/nope/board", null, HttpStatusCode.NotFound },
            { "POST", "api/workspaces/app/tasks/abcd1234/run", null, HttpStatusCode.NotFound },
            { "POST", "api/workspaces/nope/tasks/{task}/run", null, HttpStatusCode.NotFound },
            { "GET", "api/workspaces/app/sessions?status=bogus", null, HttpStatusCode.BadRequest },
            { "GET", "api/workspaces/app/sessions?limit=lots", null, HttpStatusCode.BadRequest },
            { "GET", "api/workspaces/app/sessions?task=abcd1234", null, HttpStatusCode.NotFound },
            { "GET", "api/workspaces/app/sessions/abcd1234", null, HttpStatusCode.NotFound },
            { "GET", "api/workspaces/app/sessions/abcd1234/logs", null, HttpStatusCode.NotFound },
            { "GET", "api/workspaces/app/sessions/zz/logs?after=-1", null, HttpStatusCode.BadRequest },
            { "POST", "api/runners", "{\"name\":\"bad name!\"}", HttpStatusCode.BadRequest },
            { "POST", "api/runners", "{\"name\":\"r\",\"capacity\":0}", HttpStatusCode.BadRequest },
            { "POST", "api/runners", "{\"capacity\":2}", HttpStatusCode.BadRequest },
            { "POST", "api/runners/abcd/heartbeat", "{}", HttpStatusCode.NotFound },
            { "POST", "api/runners/00000000-0000-0000-0000-000000000001/heartbeat", "{}", HttpStatusCode.Forbidden },
            { "POST", "api/runner/workspaces/x/sessions/y/claim", null, HttpStatusCode.NotFound },
            { "POST", "api/runner/workspaces/00000000-0000-0000-0000-000000000001/sessions/00000000-0000-0000-0000-000000000002/claim", null, HttpStatusCode.NotFound },
            { "POST", "api/runner/workspaces/00000000-0000-0000-0000-000000000001/sessions/00000000-0000-0000-0000-000000000002/report", "{\"status\":\"running\"}", HttpStatusCode.NotFound },
            { "POST", "api/runner/workspaces/00000000-0000-0000-0000-000000000001/sessions/00000000-0000-0000-0000-000000000002/report", "{\"status\":\"sleeping\"}", HttpStatusCode.BadRequest },
            { "POST", "api/runner/workspaces/00000000-0000-0000-0000-000000000001/sessions/00000000-0000-0000-0000-000000000002/logs", "{\"events\":[{\"seq\":0,\"time\":\"2026-01-01T00:00:00Z\",\"stream\":\"stdout\",\"text\":\"x\"}]}", HttpStatusCode.BadRequest },
            { "POST", "api/runner/workspaces/00000000-0000-0000-0000-000000000001/sessions/00000000-0000-0000-0000-000000000002/logs", "{\"events\":\"many\"}", HttpStatusCode.BadRequest },
            { "POST", "api/workspaces/app/tasks/{task}/resume", "{}", HttpStatusCode.Conflict },
            { "POST", "api/workspaces/app/tasks/{task}/resume", "{\"message\":5}", HttpStatusCode.BadRequest },
            { "POST", "api/workspaces/app/tasks/{task}/resume", "{\"message\":\"" + new string('m', 20_001) + "\"}", HttpStatusCode.RequestEntityTooLarge },
            { "POST", "api/workspaces/app/tasks/abcd1234/resume", "{}", HttpStatusCode.NotFound },
            { "POST", "api/workspaces/app/tasks/{task}/stop", null, HttpStatusCode.Conflict },
            { "POST", "api/workspaces/app/sessions/abcd1234/stop", null, HttpStatusCode.NotFound },
            { "GET", "api/runner/workspaces/00000000-0000-0000-0000-000000000001/sessions/00000000-0000-0000-0000-000000000002/transcript", null, HttpStatusCode.NotFound },
            { "PUT", "api/runner/workspaces/00000000-0000-0000-0000-000000000001/sessions/00000000-0000-0000-0000-000000000002/transcript", "{}", HttpStatusCode.NotFound },
            { "POST", "api/runner/poison", "{}", HttpStatusCode.BadRequest },
            { "POST", "api/runner/poison", "{\"workspaceId\":\"00000000-0000-0000-0000-000000000001\",\"sessionId\":\"00000000-0000-0000-0000-000000000002\",\"dequeueCount\":6,\"messageText\":\"x\",\"reason\":\"r\"}", HttpStatusCode.NotFound },
            { "POST", "api/runner/worktree-tasks", "{\"tasks\":\"x\"}", HttpStatusCode.BadRequest },
            { "POST", "api/workspaces/app/projects/abcd1234/approve", "not even json", HttpStatusCode.BadRequest },
            { "POST", "api/workspaces/app/projects", "{}", HttpStatusCode.BadRequest },
            { "POST", "api/workspaces/app/projects", "{\"title\":\"p\",\"phases\":[\"\"]}", HttpStatusCode.BadRequest },
            { "GET", "api/workspaces/app/projects/abcd1234", null, HttpStatusCode.NotFound },
            { "POST", "api/workspaces/app/projects/abcd1234/approve", "{}", HttpStatusCode.NotFound },
            { "POST", "api/workspaces/app/projects/abcd1234/phases", "{\"title\":\"\"}", HttpStatusCode.NotFound },
            { "POST", "api/workspaces/app/tasks", "{\"title\":\"t\",\"project\":\"abcd1234\"}", HttpStatusCode.BadRequest },
            { "POST", "api/workspaces/app/tasks", "{\"title\":\"t\",\"project\":\"abcd1234\",\"phase\":1}", HttpStatusCode.NotFound },
            { "GET", "api/no-such-route", null, HttpStatusCode.NotFound },
            { "PATCH", "api/workspaces/app/tasks/{task}", "{\"title\":\"renamed\"}|If-Match: garbage", HttpStatusCode.BadRequest },
            { "PATCH", "api/workspaces/app/tasks/{task}", "{\"title\":\"renamed\"}|If-Match: W/\"datetime'2020-01-01T00%3A00%3A00.0000000Z'\"", HttpStatusCode.Conflict },
            { "PATCH", "api/workspaces/app/config", "{\"autoFixCi\":true}|If-Match: garbage", HttpStatusCode.BadRequest },
            { "POST", "api/workspaces/app/projects/{project}/phases", JsonSerializer.Serialize(new { title = "Long", description = new string('d', 40_000) }), HttpStatusCode.RequestEntityTooLarge },
            { "PATCH", "api/workspaces/app/projects/{project}/phases/1", JsonSerializer.Serialize(new { description = new string('d', 40_000) }), HttpStatusCode.RequestEntityTooLarge },
            { "POST", "api/workspaces/app/projects/{project}/approve", JsonSerializer.Serialize(new { note = new string('n', 40_000) }), HttpStatusCode.RequestEntityTooLarge },
            { "POST", "api/runner/poison", "{\"workspaceId\":\"{workspaceId}\",\"sessionId\":\"{queued}\",\"dequeueCount\":6,\"messageText\":\"" + new string('x', 70_000) + "\",\"reason\":\"r\"}", HttpStatusCode.RequestEntityTooLarge },
        };
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Bad_input_gets_a_4xx_problem_and_changes_nothing_in_storage(string method, string path, string? body, HttpStatusCode expected)
    {
        var before = await SnapshotAsync(host.Prefix);

        using var http = host.Up.Http(path.StartsWith("api/runner/", StringComparison.Ordinal) || path.EndsWith("/heartbeat", StringComparison.Ordinal) ? host.RunnerToken : "");
        using var request = new HttpRequestMessage(new HttpMethod(method), path.Replace("{task}", host.TaskId, StringComparison.Ordinal).Replace("{project}", host.ProjectId, StringComparison.Ordinal));
        if (body?.Split('|') is [var json, var header])
        {
            body = json;
            request.Headers.TryAddWithoutValidation(header.Split(": ")[0], header.Split(": ")[1]);
        }

        if (body is not null)
        {
            body = body.Replace("{workspaceId}", host.WorkspaceId, StringComparison.Ordinal).Replace("{queued}", host.QueuedSession, StringComparison.Ordinal);
            request.Content = new StringContent(body, Encoding.UTF8, new MediaTypeHeaderValue("application/json"));

            // As curl does for large bodies: the server can refuse before the body is sent.
            request.Headers.ExpectContinue = body.Length > 1024 * 1024;
        }

        using var response = await http.SendAsync(request, TestContext.Current.CancellationToken);
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);

        Assert.Equal(expected, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var detail = JsonDocument.Parse(text).RootElement.GetProperty("detail").GetString();
        Assert.False(string.IsNullOrWhiteSpace(detail));
        Assert.DoesNotContain("Exception", detail, StringComparison.Ordinal);
        Assert.DoesNotContain("Konduktor.Core", detail, StringComparison.Ordinal);
        Assert.Equal(before, await SnapshotAsync(host.Prefix));
    }

    /// <summary>Every entity (keys and ETags) in every table of this test's prefix, and every blob name.</summary>
    private async Task<string> SnapshotAsync(string prefix)
    {
        var service = new TableServiceClient(azurite.ConnectionString);
        var lines = new List<string>();
        await foreach (var table in service.QueryAsync(t => t.Name.CompareTo(prefix) >= 0 && t.Name.CompareTo(prefix + "~") < 0))
        {
            await foreach (var entity in service.GetTableClient(table.Name).QueryAsync<TableEntity>())
            {
                lines.Add($"{table.Name}/{entity.PartitionKey}/{entity.RowKey}/{entity.ETag}");
            }
        }

        var blobs = new Azure.Storage.Blobs.BlobServiceClient(azurite.ConnectionString);
        await foreach (var container in blobs.GetBlobContainersAsync(prefix: prefix))
        {
            await foreach (var blob in blobs.GetBlobContainerClient(container.Name).GetBlobsAsync())
            {
                lines.Add($"{container.Name}/{blob.Name}");
            }
        }

        Assert.NotEmpty(lines);
        return string.Join('\n', lines.Order(StringComparer.Ordinal));
    }
}

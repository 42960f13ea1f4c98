using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Konduktor.Core.Runners;
using Konduktor.Core.Sessions;
using Konduktor.Tests.Infrastructure;

namespace Konduktor.Tests.Runners;

/// <summary>Registered runners: an admin's one-time secret bought once for a kept credential, revoked with `runners remove`.</summary>
public sealed class RunnerRegistrationTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task A_runner_trades_a_one_time_secret_for_a_kept_credential_runs_sessions_and_is_refused_once_removed()
    {
        await using var up = await KonduktorUp.StartAsync(storage: azurite.ConnectionString, extraArguments: ["--no-runner"]);
        var added = await up.CliAsync("--json", "runners", "add", "box");
        Assert.True(added.ExitCode == 0, added.ToString());
        var ticket = JsonSerializer.Deserialize<RunnerTicket>(added.Output, SessionsHost.Json)!;
        Assert.Contains("--registration-secret", (await up.CliAsync("runners", "add", "other")).Output, StringComparison.Ordinal);

        // Another machine: its own home, no token of a person; only the API's URL and the secret.
        var machine = KonduktorUp.NewHome();
        var runner = await RunnerProcess.StartAsync(machine, "box", extraArguments: ["--url", up.Url, "--registration-secret", ticket.Secret]);
        var credential = Path.Combine(machine, "runner-credentials", "box.json");
        var kept = JsonDocument.Parse(await File.ReadAllTextAsync(credential)).RootElement;
        var runnerId = kept.GetProperty("runnerId").GetGuid();
        var runnerToken = kept.GetProperty("token").GetString()!;
        Assert.True(OperatingSystem.IsWindows() || File.GetUnixFileMode(credential) == (UnixFileMode.UserRead | UnixFileMode.UserWrite), "the kept credential is readable by its user only");

        var driver = new SessionDriver(up);
        var (workspace, _) = await driver.CreateWorkspaceAsync();
        var task = await driver.CreateTaskAsync(workspace, "Run on the registered runner", StandInAgent.Script(new { say = "hello from box" }));
        var ended = await driver.WaitForEndAsync(workspace, (await driver.RunAsync(workspace, task)).Id);
        Assert.Equal(SessionStatus.Succeeded, ended.Status);
        Assert.Equal("box", ended.RunnerName);

        using var http = new HttpClient { BaseAddress = new Uri(up.Url + "/api/") };
        using var reuse = new HttpRequestMessage(HttpMethod.Post, "runners/exchange") { Content = JsonContent.Create(new RegisterRunner { Name = "box" }, options: SessionsHost.Json) };
        reuse.Headers.Authorization = new AuthenticationHeaderValue("Bearer", ticket.Secret);
        var reused = await http.SendAsync(reuse);
        Assert.Equal(HttpStatusCode.Unauthorized, reused.StatusCode);

        // A restart uses the kept credential: no secret needed.
        Assert.Equal(0, await runner.StopAsync());
        await runner.DisposeAsync();
        await using (var restarted = await RunnerProcess.StartAsync(machine, "box", extraArguments: ["--url", up.Url]))
        {
            Assert.Equal(0, (await up.CliAsync("runners", "remove", "box")).ExitCode);
            using var beat = new HttpRequestMessage(HttpMethod.Post, $"runners/{runnerId:D}/heartbeat") { Content = JsonContent.Create(new RunnerHeartbeat { Capacity = 2 }, options: SessionsHost.Json) };
            beat.Headers.Authorization = new AuthenticationHeaderValue("Bearer", runnerToken);
            var refused = await http.SendAsync(beat);
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        }

        var again = await KonduktorCli.RunAsync(machine, ["runner", "start", "--name", "box", "--url", up.Url, "--agent-command", StandInAgent.Executable]);
        Assert.NotEqual(0, again.ExitCode);
        Assert.Contains("not valid", again.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task On_storage_that_cannot_sign_a_queue_url_a_runner_takes_its_jobs_through_the_api()
    {
        await using var up = await KonduktorUp.StartAsync(storage: azurite.ConnectionString, extraArguments: ["--no-runner"], environment: new Dictionary<string, string> { ["Konduktor__Storage__RunnersThroughApi"] = "true" });
        await using var runner = await RunnerProcess.StartAsync(up.Home, "keyless");
        var driver = new SessionDriver(up);
        var (workspace, _) = await driver.CreateWorkspaceAsync();

        var tasks = await Task.WhenAll(Enumerable.Range(1, 3).Select(i => driver.CreateTaskAsync(workspace, $"Through the API {i}", StandInAgent.Script(new { say = $"job {i}" }))));
        var ended = await Task.WhenAll((await Task.WhenAll(tasks.Select(t => driver.RunAsync(workspace, t)))).Select(s => driver.WaitForEndAsync(workspace, s.Id)));

        Assert.Contains("jobs through the API", runner.Output, StringComparison.Ordinal);
        Assert.All(ended, s => Assert.Equal(SessionStatus.Succeeded, s.Status));
        using var http = up.Http();
        var stranger = await http.PostAsync("api/runner/jobs/receive", new StringContent("{\"max\":1}", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Forbidden, stranger.StatusCode);
    }
}

using System.Net;
using System.Net.Http.Json;
using Konduktor.Core.Sessions;
using Konduktor.Tests.Infrastructure;

namespace Konduktor.Tests.Security;

/// <summary>Secrets for agents: set by people from stdin, given to the setup script and the agent, shown nowhere; what only people may change (budgets) stays theirs.</summary>
public sealed class AgentSecretTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task A_secret_reaches_the_setup_and_the_agent_and_shows_in_no_log_transcript_reply_or_process_list()
    {
        var prefix = AzuriteFixture.NewPrefix();
        await using var up = await KonduktorUp.StartAsync(storage: azurite.ConnectionString, prefix: prefix);
        var driver = new SessionDriver(up);
        var (workspace, remote) = await driver.CreateWorkspaceAsync();
        var key = "sk-test-" + Guid.NewGuid().ToString("N");
        var pem = $"-----BEGIN TEST KEY-----\nfirst-{Guid.NewGuid():N}\nsecond-{Guid.NewGuid():N}\n-----END TEST KEY-----";
        foreach (var (name, value) in new[] { ("API_KEY", key), ("SIGNING_KEY", pem) })
        {
            var set = await KonduktorCli.RunAsync(up.Home, ["-w", workspace, "secrets", "set", name], value + "\n");
            Assert.True(set.ExitCode == 0, set.ToString());
        }

        var listed = await up.CliAsync("-w", workspace, "secrets", "list");
        Assert.Contains("API_KEY", listed.Output, StringComparison.Ordinal);
        Assert.Contains("SIGNING_KEY", listed.Output, StringComparison.Ordinal);
        Assert.DoesNotContain(key, listed.Output, StringComparison.Ordinal);
        await remote.CommitAsync("Setup that uses the key", (".konduktor/setup", "#!/bin/sh\necho \"setup sees $API_KEY\"\n"));
        var seen = SessionDriver.Signal("seen-key");
        var release = SessionDriver.Signal("release");
        var task = await driver.CreateTaskAsync(workspace, "Uses the keys", StandInAgent.Script(
            new { env = new[] { "API_KEY" } },
            new { sh = "printf '%s\\n' \"$SIGNING_KEY\"" },
            new { sh = "konduktor tasks update \"$KONDUKTOR_TASK\" --description \"the key is $API_KEY\"" },
            new { konduktor = new[] { "secrets", "list" } },
            new { sh = "konduktor tasks update \"$KONDUKTOR_TASK\" --budget 1000 || echo budget-refused" },
            new { saveEnv = "API_KEY", to = seen },
            new { waitFor = release }));

        var session = await driver.RunAsync(workspace, task);
        await Eventually.WaitAsync(() => File.Exists(seen), "the agent to have its environment and wait");
        var processes = await Konduktor.Runner.Processes.ProcessRunner.RunAsync("ps", ["-e", "-ww", "-o", "args="], null, CancellationToken.None);
        Assert.DoesNotContain(key, processes, StringComparison.Ordinal);
        Assert.DoesNotContain(pem.Split('\n')[1], processes, StringComparison.Ordinal); // a whole line: other tests running beside this one may have "first-" in their arguments
        await File.WriteAllTextAsync(release, "");
        var ended = await driver.WaitForEndAsync(workspace, session.Id);

        Assert.True(ended.Status == SessionStatus.Succeeded, $"{ended.Status}: {ended.Error}");
        Assert.Equal(key, await File.ReadAllTextAsync(seen));
        var logs = await driver.LogsAsync(workspace, ended.Id);
        var everything = string.Join('\n', logs.Select(e => e.Text));
        Assert.Contains(logs, e => e.Stream == "setup" && e.Text == "setup sees ***");
        Assert.Contains("API_KEY=***", everything, StringComparison.Ordinal);
        Assert.Contains("session may not", everything, StringComparison.Ordinal); // its `konduktor secrets list` was refused
        var secretParts = new[] { key, pem.Split('\n')[1], pem.Split('\n')[2] };
        foreach (var part in secretParts)
        {
            Assert.DoesNotContain(part, everything, StringComparison.Ordinal);
        }

        // The transcript on the CLI, the task the agent wrote the key into, the kept conversation: masked everywhere.
        var transcript = await up.CliAsync("-w", workspace, "tasks", "logs", task.ShortId);
        using var http = up.Http();
        var taskJson = await http.GetStringAsync($"api/workspaces/{workspace}/tasks/{task.Id}");
        Assert.Contains("the key is ***", taskJson, StringComparison.Ordinal);
        Assert.Contains("budget-refused", everything, StringComparison.Ordinal); // an agent may not raise its own task's budget
        Assert.Null((await driver.GetTaskAsync(workspace, task.Id)).BudgetUsd);
        var transcripts = new Azure.Storage.Blobs.BlobServiceClient(azurite.ConnectionString).GetBlobContainerClient(prefix + "transcripts");
        var kept = new List<string>();
        await foreach (var blob in transcripts.GetBlobsAsync())
        {
            kept.Add(blob.Name);
        }

        var conversation = (await transcripts.GetBlobClient(Assert.Single(kept)).DownloadContentAsync()).Value.Content.ToString();
        Assert.Contains("API_KEY=***", conversation, StringComparison.Ordinal);
        foreach (var shown in new[] { transcript.Output, taskJson, conversation })
        {
            foreach (var part in secretParts)
            {
                Assert.DoesNotContain(part, shown, StringComparison.Ordinal);
            }
        }
    }

    [Fact]
    public async Task Secret_names_and_values_are_checked_and_deleting_one_or_its_workspace_takes_it_away()
    {
        var prefix = AzuriteFixture.NewPrefix();
        await using var up = await KonduktorUp.StartAsync(storage: azurite.ConnectionString, prefix: prefix, extraArguments: ["--no-runner"]);
        var (workspace, _) = await new SessionDriver(up).CreateWorkspaceAsync();

        var badName = await KonduktorCli.RunAsync(up.Home, ["-w", workspace, "secrets", "set", "npm-token"], "value-1234");
        var ours = await KonduktorCli.RunAsync(up.Home, ["-w", workspace, "secrets", "set", "KONDUKTOR_TOKEN"], "value-1234");
        var tooShort = await KonduktorCli.RunAsync(up.Home, ["-w", workspace, "secrets", "set", "PIN"], "123");
        Assert.Contains("not a secret name", badName.Error, StringComparison.Ordinal);
        Assert.Contains("Konduktor's or the system's own", ours.Error, StringComparison.Ordinal);
        Assert.Contains("at least 4 characters", tooShort.Error, StringComparison.Ordinal);
        Assert.All(new[] { badName, ours, tooShort }, r => Assert.Equal(1, r.ExitCode));

        Assert.Equal(0, (await KonduktorCli.RunAsync(up.Home, ["-w", workspace, "secrets", "set", "NPM_TOKEN"], "npm-value-1234")).ExitCode);
        Assert.Equal(0, (await up.CliAsync("-w", workspace, "secrets", "delete", "NPM_TOKEN")).ExitCode);
        Assert.DoesNotContain("NPM_TOKEN", (await up.CliAsync("-w", workspace, "secrets", "list")).Output, StringComparison.Ordinal);
        var again = await up.CliAsync("-w", workspace, "secrets", "delete", "NPM_TOKEN");
        Assert.Equal(1, again.ExitCode);
        Assert.Contains("has no secret NPM_TOKEN", again.Error, StringComparison.Ordinal);
        using var http = up.Http();
        var asJson = await http.PutAsJsonAsync($"api/workspaces/{workspace}/secrets/NPM_TOKEN", new { value = 5 });
        Assert.Equal(HttpStatusCode.BadRequest, asJson.StatusCode);
        Assert.Equal("application/problem+json", asJson.Content.Headers.ContentType?.MediaType);

        Assert.Equal(0, (await KonduktorCli.RunAsync(up.Home, ["-w", workspace, "secrets", "set", "KEPT_UNTIL_THE_END"], "value-5678")).ExitCode);
        var table = new Azure.Data.Tables.TableClient(azurite.ConnectionString, prefix + "agentsecrets");
        Assert.NotEmpty(table.Query<Azure.Data.Tables.TableEntity>().ToList());
        var deleted = await up.CliAsync("workspaces", "delete", workspace);
        Assert.True(deleted.ExitCode == 0, deleted.ToString());
        Assert.Empty(table.Query<Azure.Data.Tables.TableEntity>().ToList());
    }
}

using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using Konduktor.LocalHost;
using Konduktor.LocalHost.Bindings;
using Konduktor.Core.Runners;
using Konduktor.Core.Sessions;
using Konduktor.Tests.Infrastructure;

namespace Konduktor.Tests.Security;

/// <summary>
/// A prompt-injected agent tries every way out we can think of to a person's credentials or Konduktor's data, on a
/// machine where the person, Azurite and the runner all live under one KONDUKTOR_HOME: each attempt fails, and the
/// agent can still do its work in its worktree.
/// </summary>
public sealed class UntrustedAgentTests
{
    [Fact]
    public async Task An_agent_cannot_read_the_persons_token_the_runners_credential_azurites_key_or_other_processes_and_still_does_its_work()
    {
        await using var up = await KonduktorUp.StartAsync(extraArguments: ["--no-runner"]);
        var home = up.Home;
        Assert.True(OperatingSystem.IsWindows() || File.GetUnixFileMode(home) == (UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute), "KONDUKTOR_HOME is the user's alone");
        var added = await up.CliAsync("--json", "runners", "add", "box");
        var secret = JsonSerializer.Deserialize<RunnerTicket>(added.Output, SessionsHost.Json)!.Secret;
        await using var runner = await RunnerProcess.StartAsync(home, "box", extraArguments: ["--url", up.Url, "--registration-secret", secret]);
        Assert.Contains("Agents: agents run isolated with bubblewrap", runner.Output, StringComparison.Ordinal);
        var state = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(home, "up.json"))).RootElement;
        var upPid = state.GetProperty("pid").GetInt32();
        var azuritePid = state.GetProperty("azuritePid").GetInt32();
        var token = up.Token;
        var azuriteKey = (await File.ReadAllTextAsync(Path.Combine(home, "azurite-key"))).Trim();
        var credential = await File.ReadAllTextAsync(Path.Combine(home, "runner-credentials", "box.json"));

        // The markers are split in the command, so only the command's output can show them whole.
        string Attempt(int n, string command) => $"if {command}; then echo LEAK\"\"ED-{n}.; else echo REFU\"\"SED-{n}.; fi";
        var attempts = new[]
        {
            Attempt(1, $"cat {home}/token"),
            Attempt(2, $"cat {home}/config.json"),
            Attempt(3, $"cat {home}/runner-credentials/box.json"),
            Attempt(4, $"cat {home}/azurite-key"),
            Attempt(5, $"ls {home}/azurite | grep -q ."),
            Attempt(6, $"cat /proc/{upPid}/environ"),
            Attempt(7, $"cat /proc/{azuritePid}/environ"),
            Attempt(8, $"cat /proc/{azuritePid}/cmdline"),
            Attempt(9, "env -u KONDUKTOR_TOKEN konduktor workspaces list"),
            Attempt(10, $"env -u KONDUKTOR_TOKEN -u KONDUKTOR_SESSION KONDUKTOR_HOME={home} konduktor workspaces list"),
            Attempt(11, "konduktor workspaces create someone/else"),
            Attempt(12, "env | grep -E '^(KONDUKTOR_HOME|Konduktor__|AZURITE_)'"),
            Attempt(13, $"ls -A {home}/runners/box | grep -E 'spool|agents'"),
            Attempt(14, $"ls -A {home}/runners/box/sessions | grep -c . | grep -vx 1"),
        };
        var driver = new SessionDriver(up);
        var (workspace, remote) = await driver.CreateWorkspaceAsync();
        var steps = attempts.Select(a => (object)new { sh = a }).Concat([new { write = "work.txt", content = "done\n" }, new { commit = "Do the work" }, new { push = true }]).ToArray();
        var task = await driver.CreateTaskAsync(workspace, "Break out", StandInAgent.Script(steps));

        var session = await driver.WaitForEndAsync(workspace, (await driver.RunAsync(workspace, task)).Id);

        Assert.True(session.Status == SessionStatus.Succeeded, $"{session.Status}: {session.Error}\n{runner.Output}");
        var transcript = string.Join('\n', (await driver.LogsAsync(workspace, session.Id)).Select(e => e.Text));
        for (var n = 1; n <= attempts.Length; n++)
        {
            Assert.Contains($"REFUSED-{n}.", transcript, StringComparison.Ordinal);
            Assert.DoesNotContain($"LEAKED-{n}.", transcript, StringComparison.Ordinal);
        }

        Assert.Contains("session the CLI signs in with KONDUKTOR_TOKEN only", transcript, StringComparison.Ordinal);
        Assert.DoesNotContain(token, transcript, StringComparison.Ordinal);
        Assert.DoesNotContain(azuriteKey, transcript, StringComparison.Ordinal);
        Assert.DoesNotContain(JsonDocument.Parse(credential).RootElement.GetProperty("token").GetString()!, transcript, StringComparison.Ordinal);
        Assert.Equal("done\n", await remote.GitAsync("show", $"{session.Branch}:work.txt"));

        // Azurite answers only to this home's key: the public development key every Azurite knows is refused.
        var tablePort = state.GetProperty("azuriteEndpoints").GetString()!.Split('/')[^1];
        string Storage(string key) => $"DefaultEndpointsProtocol=http;AccountName={Azurite.AccountName};AccountKey={key};TableEndpoint=http://127.0.0.1:{tablePort}/{Azurite.AccountName};";
        static async Task<int> CountTablesAsync(string connectionString)
        {
            var count = 0;
            await foreach (var _ in new TableServiceClient(connectionString).QueryAsync())
            {
                count++;
            }

            return count;
        }

        var refused = await Assert.ThrowsAsync<RequestFailedException>(() => CountTablesAsync(Storage(Azurite.PublicDevelopmentKey)));
        Assert.Equal(403, refused.Status);
        Assert.True(await CountTablesAsync(Storage(azuriteKey)) > 0);
        Assert.DoesNotContain("sig=", up.Output + runner.Output, StringComparison.Ordinal);
    }
}

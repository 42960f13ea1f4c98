using Konduktor.Core.Sessions;
using Konduktor.Tests.Infrastructure;

namespace Konduktor.Tests.Runners;

/// <summary>
/// Worktrees ready to work, through `up`, a runner and the stand-in agent: the repository's setup script (and the
/// workspace's, which wins), run once per worktree until it or its inputs change; a failing setup keeps the agent from
/// starting; the runner's own files copied in and kept out of git; the cleanup script before a worktree is removed.
/// </summary>
public sealed class WorktreeSetupTests(AzuriteFixture azurite)
{
    private const string GitIgnore = ".setup-marker\nnode_modules/\n.package-lock.json\n";

    [Fact]
    public async Task The_setup_installs_what_the_agent_needs_once_per_worktree_until_its_inputs_change()
    {
        await using var up = await KonduktorUp.StartAsync(storage: azurite.ConnectionString);
        var driver = new SessionDriver(up);
        var (workspace, remote) = await driver.CreateWorkspaceAsync();
        var runs = SessionDriver.Signal("setup-runs");
        await remote.CommitAsync("Set up the worktree",
            (".gitignore", GitIgnore),
            ("deps.txt", "tiny 1.0\n"),
            ("vendor/tiny/package.json", """{"name":"tiny","version":"1.0.0","main":"index.js"}"""),
            ("vendor/tiny/index.js", "exports.greet = () => 'hello from tiny';\n"),
            (".konduktor/setup", $"""
                #!/bin/sh
                # konduktor: inputs deps.txt
                set -e
                echo "installing for $KONDUKTOR_TASK"
                printf 'ready\n' > .setup-marker
                npm install --no-save --offline --no-audit --no-fund --loglevel=error ./vendor/tiny
                echo run >> {runs}
                """));
        var task = await driver.CreateTaskAsync(workspace, "Needs its dependencies", StandInAgent.Script(
            new { sh = "cat .setup-marker && node -e \"console.log(require('tiny').greet())\"" }));

        var first = await driver.WaitForEndAsync(workspace, (await driver.RunAsync(workspace, task)).Id);

        Assert.True(first.Status == SessionStatus.Succeeded, $"{first.Status}: {first.Error}");
        var logs = await driver.LogsAsync(workspace, first.Id);
        Assert.Contains(logs, e => e.Stream == "setup" && e.Text == $"installing for {Konduktor.Core.ShortId.Format(task.Id)}");
        var agentSaw = string.Join('\n', logs.Where(e => e.Stream == "stdout").Select(e => e.Text));
        Assert.Contains("ready", agentSaw, StringComparison.Ordinal);
        Assert.Contains("hello from tiny", agentSaw, StringComparison.Ordinal);
        Assert.Single(await File.ReadAllLinesAsync(runs));

        // A resume in the same worktree does not pay for the setup again; this agent changes an input.
        var second = await driver.WaitForEndAsync(workspace, (await driver.ResumeAsync(workspace, task,
            StandInAgent.Script(new { write = "deps.txt", content = "tiny 1.1\n" }, new { commit = "Bump tiny" }))).Id);
        Assert.Equal(SessionStatus.Succeeded, second.Status);
        Assert.Single(await File.ReadAllLinesAsync(runs));
        Assert.Contains(await driver.LogsAsync(workspace, second.Id), e => e.Stream == "konduktor" && e.Text.Contains("not run again", StringComparison.Ordinal));

        // The input changed: the next session sets up again.
        var third = await driver.WaitForEndAsync(workspace, (await driver.ResumeAsync(workspace, task, StandInAgent.Script(new { say = "again" }))).Id);
        Assert.Equal(SessionStatus.Succeeded, third.Status);
        Assert.Equal(2, (await File.ReadAllLinesAsync(runs)).Length);
    }

    [Fact]
    public async Task A_failing_setup_fails_the_session_with_its_last_lines_and_the_agent_never_starts()
    {
        await using var up = await KonduktorUp.StartAsync(storage: azurite.ConnectionString);
        var driver = new SessionDriver(up);
        var (workspace, remote) = await driver.CreateWorkspaceAsync();
        await remote.CommitAsync("A setup that cannot work", (".konduktor/setup", "#!/bin/sh\necho 'fetching the toolchain'\necho 'error: the toolchain is not reachable' >&2\nexit 3\n"));
        var started = SessionDriver.Signal("agent-started");
        var task = await driver.CreateTaskAsync(workspace, "Never starts", StandInAgent.Script(new { append = started, text = "started" }));

        var session = await driver.WaitForEndAsync(workspace, (await driver.RunAsync(workspace, task)).Id);

        Assert.Equal(SessionStatus.Failed, session.Status);
        Assert.Contains(".konduktor/setup exited with code 3", session.Error, StringComparison.Ordinal);
        Assert.Contains("error: the toolchain is not reachable", session.Error, StringComparison.Ordinal);
        Assert.False(File.Exists(started), "the agent started after a failed setup");
        Assert.DoesNotContain(await driver.LogsAsync(workspace, session.Id), e => e.Text.StartsWith("agent started", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_workspaces_setup_wins_a_setup_past_its_timeout_fails_and_leaves_nothing_running()
    {
        await using var up = await KonduktorUp.StartAsync(storage: azurite.ConnectionString);
        var driver = new SessionDriver(up);
        var (workspace, remote) = await driver.CreateWorkspaceAsync();
        var repositorys = SessionDriver.Signal("repository-setup");
        await remote.CommitAsync("The repository's setup", (".konduktor/setup", $"#!/bin/sh\necho ran >> {repositorys}\n"));
        var sleep = MarkedProcesses.NewSleep();
        var configured = await KonduktorCli.RunAsync(up.Home, ["-w", workspace, "config", "set", "--setup-script-file", "-", "--setup-timeout", "1"],
            $"echo 'the workspace setup'\nsleep {sleep} &\nwait\n");
        Assert.True(configured.ExitCode == 0, configured.ToString());
        Assert.Contains("the workspace's script", (await up.CliAsync("-w", workspace, "config", "get")).Output, StringComparison.Ordinal);
        var task = await driver.CreateTaskAsync(workspace, "Waits for a setup that hangs", StandInAgent.Script(new { say = "never" }));

        var session = await driver.WaitForEndAsync(workspace, (await driver.RunAsync(workspace, task)).Id, TimeSpan.FromMinutes(3));

        Assert.Equal(SessionStatus.Failed, session.Status);
        Assert.Contains("the workspace's setup script did not finish in 1 min", session.Error, StringComparison.Ordinal);
        Assert.Contains("the workspace setup", session.Error, StringComparison.Ordinal);
        Assert.False(File.Exists(repositorys), "the repository's setup ran though the workspace has one");
        await Eventually.WaitAsync(() => MarkedProcesses.WithArgument(sleep).Count == 0, "what the setup left running to end");
    }

    [Fact]
    public async Task The_runners_files_reach_the_worktree_outside_git_and_the_cleanup_runs_before_a_finished_tasks_worktree_goes()
    {
        await using var up = await KonduktorUp.StartAsync(storage: azurite.ConnectionString, extraArguments: ["--no-runner"]);
        var driver = new SessionDriver(up);
        var (workspace, remote) = await driver.CreateWorkspaceAsync();
        var cleaned = SessionDriver.Signal("cleaned");
        await remote.CommitAsync("Clean up after the agent", (".konduktor/cleanup", $"#!/bin/sh\nprintf 'cleaned %s\\n' \"$(cat .env.local)\" >> {cleaned}\n"));
        var machine = KonduktorUp.NewHome();
        var files = Directory.CreateDirectory(Path.Combine(machine, "runner-files", workspace)).FullName;
        await File.WriteAllTextAsync(Path.Combine(files, ".env.local"), "API_URL=http://localhost:9999\n");
        var ticket = System.Text.Json.JsonSerializer.Deserialize<Konduktor.Core.Runners.RunnerTicket>((await up.CliAsync("--json", "runners", "add", "keeper")).Output, SessionsHost.Json)!;
        await using var runner = await RunnerProcess.StartAsync(machine, "keeper", extraArguments: ["--url", up.Url, "--registration-secret", ticket.Secret, "--cleanup-interval", "1"]);
        var task = await driver.CreateTaskAsync(workspace, "Reads its env file", StandInAgent.Script(
            new { sh = "cat .env.local" }, new { write = "feature.txt", content = "done\n" }, new { commit = "Add the feature" }));

        var session = await driver.WaitForEndAsync(workspace, (await driver.RunAsync(workspace, task)).Id);

        Assert.True(session.Status == SessionStatus.Succeeded, $"{session.Status}: {session.Error}");
        Assert.Contains(await driver.LogsAsync(workspace, session.Id), e => e.Stream == "stdout" && e.Text.Contains("API_URL=http://localhost:9999", StringComparison.Ordinal));
        var pushed = await remote.GitAsync("ls-tree", "-r", "--name-only", session.Branch!);
        Assert.Contains("feature.txt", pushed, StringComparison.Ordinal);
        Assert.DoesNotContain(".env.local", pushed, StringComparison.Ordinal);

        Assert.Equal(0, (await up.CliAsync("-w", workspace, "tasks", "move", task.ShortId, "Done")).ExitCode);
        await Eventually.WaitAsync(() => File.Exists(cleaned), "the cleanup script to run before the worktree is removed", TimeSpan.FromSeconds(60));
        Assert.Equal(["cleaned API_URL=http://localhost:9999"], await File.ReadAllLinesAsync(cleaned));
    }
}

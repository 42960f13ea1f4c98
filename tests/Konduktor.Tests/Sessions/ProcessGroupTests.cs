using Konduktor.Core.Sessions;
using Konduktor.Runner.Processes;
using Konduktor.Tests.Infrastructure;

namespace Konduktor.Tests.Sessions;

/// <summary>
/// Agents lead their own process group, so stop and clean-up reach what they started even when it no longer descends
/// from them. The sandbox is off here: without it (as on macOS) the process group is all that holds the agent's work.
/// </summary>
public sealed class ProcessGroupTests(AzuriteFixture azurite)
{
    private static readonly Dictionary<string, string> Unsandboxed = new() { ["KONDUKTOR_SANDBOX"] = "off" };

    [Fact]
    public async Task Stopping_ends_a_background_process_the_agent_detached_from_its_process_tree()
    {
        await using var up = await KonduktorUp.StartAsync(storage: azurite.ConnectionString, environment: Unsandboxed, extraArguments: ["--agent-command", StandInAgent.Executable, "--allow-unsandboxed"]);
        var driver = new SessionDriver(up);
        var (workspace, _) = await driver.CreateWorkspaceAsync();
        var started = SessionDriver.Signal("started");
        var sleep = MarkedProcesses.NewSleep();
        var task = await driver.CreateTaskAsync(workspace, "Detaches a child", StandInAgent.Script(
            new { sh = $"(sleep {sleep} >/dev/null 2>&1 &) ; touch {started}" },
            new { waitFor = started + ".never" }));
        var session = await driver.RunAsync(workspace, task);
        await Eventually.WaitAsync(() => File.Exists(started) && MarkedProcesses.WithArgument(sleep).Count == 1, "the agent to detach its child");
        var agent = await driver.AgentPidAsync(workspace, session.Id);
        var detached = Assert.Single(MarkedProcesses.WithArgument(sleep));
        Assert.DoesNotContain(detached, Descendants(agent));

        Assert.Equal(0, (await up.CliAsync("-w", workspace, "tasks", "stop", task.ShortId)).ExitCode);

        Assert.Equal(SessionStatus.Stopped, (await driver.WaitForEndAsync(workspace, session.Id, TimeSpan.FromSeconds(20))).Status);
        await Eventually.WaitAsync(() => !ProcessSignals.IsAlive(detached), "the detached child to end with the agent's group", TimeSpan.FromSeconds(15));
        Assert.False(ProcessSignals.IsAlive(agent));
    }

    [Fact]
    public async Task What_an_agent_leaves_running_in_the_background_ends_when_the_agent_ends()
    {
        await using var up = await KonduktorUp.StartAsync(storage: azurite.ConnectionString, environment: Unsandboxed, extraArguments: ["--agent-command", StandInAgent.Executable, "--allow-unsandboxed"]);
        var driver = new SessionDriver(up);
        var (workspace, _) = await driver.CreateWorkspaceAsync();
        var sleep = MarkedProcesses.NewSleep();
        var task = await driver.CreateTaskAsync(workspace, "Leaves a server running", StandInAgent.Script(
            new { sh = $"nohup sleep {sleep} >/dev/null 2>&1 &" }));

        var ended = await driver.WaitForEndAsync(workspace, (await driver.RunAsync(workspace, task)).Id);

        Assert.Equal(SessionStatus.Succeeded, ended.Status);
        await Eventually.WaitAsync(() => MarkedProcesses.WithArgument(sleep).Count == 0, "the background process to end with the session", TimeSpan.FromSeconds(15));
    }

    [Fact]
    public async Task The_agent_is_the_leader_of_its_own_process_group_and_session()
    {
        await using var up = await KonduktorUp.StartAsync(storage: azurite.ConnectionString, environment: Unsandboxed, extraArguments: ["--agent-command", StandInAgent.Executable, "--allow-unsandboxed"]);
        var driver = new SessionDriver(up);
        var (workspace, _) = await driver.CreateWorkspaceAsync();
        var started = SessionDriver.Signal("started");
        var task = await driver.CreateTaskAsync(workspace, "Waits", StandInAgent.Script(new { touch = started }, new { waitFor = started + ".never" }));
        var session = await driver.RunAsync(workspace, task);
        await Eventually.WaitAsync(() => File.Exists(started), "the agent to start");
        var agent = await driver.AgentPidAsync(workspace, session.Id);

        var stat = (await File.ReadAllTextAsync($"/proc/{agent}/stat")).Split(')')[1].Split(' ');
        Assert.Equal(agent.ToString(System.Globalization.CultureInfo.InvariantCulture), stat[3]);
        Assert.Equal(agent.ToString(System.Globalization.CultureInfo.InvariantCulture), stat[4]);
        Assert.Contains("standin", await File.ReadAllTextAsync($"/proc/{agent}/cmdline"), StringComparison.Ordinal);
        Assert.Equal(0, (await up.CliAsync("-w", workspace, "tasks", "stop", task.ShortId)).ExitCode);
    }

    /// <summary>Every process below <paramref name="root"/> (the test's own look at /proc: the runner has none).</summary>
    private static HashSet<int> Descendants(int root)
    {
        var parents = new Dictionary<int, int>();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(directory), out var pid))
            {
                try
                {
                    parents[pid] = int.Parse((File.ReadAllText(Path.Combine(directory, "stat")).Split(')')[1]).Split(' ')[2], System.Globalization.CultureInfo.InvariantCulture);
                }
                catch (IOException)
                {
                    // Gone while we looked.
                }
            }
        }

        var found = new HashSet<int>();
        var changed = true;
        while (changed)
        {
            changed = false;
            foreach (var (pid, parent) in parents)
            {
                if ((parent == root || found.Contains(parent)) && found.Add(pid))
                {
                    changed = true;
                }
            }
        }

        return found;
    }
}

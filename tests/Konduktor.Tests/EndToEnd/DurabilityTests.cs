using System.Text.Json;
using Konduktor.Core.Sessions;
using Konduktor.Core.Tasks;
using Konduktor.LocalHost.Durability;
using Konduktor.Tests.Infrastructure;

namespace Konduktor.Tests.EndToEnd;

/// <summary>
/// Nothing <c>up</c> acknowledged is lost when it and its Azurite die together (SIGKILL: an out-of-memory kill, a power
/// cut for everything but the disk's cache): writes are journaled and synced before they are answered.
/// </summary>
public sealed class DurabilityTests
{
    [Fact]
    public async Task Tasks_acknowledged_just_before_up_and_its_azurite_are_killed_are_all_there_after_a_restart()
    {
        var home = KonduktorUp.NewHome();
        var titles = Enumerable.Range(1, 5).Select(i => $"acknowledged {i}").ToList();
        await using (var up = await KonduktorUp.StartAsync(home, extraArguments: ["--no-runner"]))
        {
            Assert.Equal(0, (await up.CliAsync("workspaces", "create", "myorg/kept")).ExitCode);
            foreach (var title in titles)
            {
                var created = await up.CliAsync("-w", "kept", "tasks", "create", "--title", title);
                Assert.True(created.ExitCode == 0, created.ToString());
            }

            up.CrashWithAzurite();
        }

        var journal = DurableStorage.JournalFolder(Path.Combine(home, "azurite"));
        var kept = StorageJournal.Segments(journal);
        Assert.NotEmpty(kept);
        await using var restarted = await KonduktorUp.StartAsync(home, extraArguments: ["--no-runner"]);
        Assert.Contains("Replayed", restarted.Output, StringComparison.Ordinal);
        Assert.Equal(titles, (await TasksAsync(restarted, "kept")).Select(t => t.Title).Order(StringComparer.Ordinal));
        Assert.DoesNotContain(kept, File.Exists); // the checkpoint at start put them in Azurite's files
    }

    [Theory]
    [InlineData("TERM")]
    [InlineData("INT")]
    [InlineData("HUP")]
    public async Task Each_signal_stops_up_with_every_write_saved_and_no_journal_left_to_replay(string signal)
    {
        var home = KonduktorUp.NewHome();
        await using (var up = await KonduktorUp.StartAsync(home, extraArguments: ["--no-runner"]))
        {
            Assert.Equal(0, (await up.CliAsync("workspaces", "create", "myorg/tidy")).ExitCode);
            Assert.Equal(0, (await up.CliAsync("-w", "tidy", "tasks", "create", "--title", $"saved on SIG{signal}")).ExitCode);
            var exit = signal switch { "TERM" => await up.StopAsync(), "INT" => await up.InterruptAsync(), _ => await up.HangUpAsync() };
            Assert.True(exit == 0, $"up exited with {exit}:\n{up.Output}");
        }

        Assert.Empty(StorageJournal.Segments(DurableStorage.JournalFolder(Path.Combine(home, "azurite"))));
        await using var restarted = await KonduktorUp.StartAsync(home, extraArguments: ["--no-runner"]);
        Assert.DoesNotContain("Replayed", restarted.Output, StringComparison.Ordinal);
        Assert.Equal([$"saved on SIG{signal}"], (await TasksAsync(restarted, "tidy")).Select(t => t.Title));
    }

    [Fact]
    public async Task Up_stopped_the_moment_it_says_it_is_up_exits_cleanly_with_nothing_left_to_replay()
    {
        var home = KonduktorUp.NewHome();
        await using (var up = await KonduktorUp.StartAsync(home, extraArguments: ["--no-runner"]))
        {
            var exit = await up.InterruptAsync();
            Assert.True(exit == 0, $"up exited with {exit}:\n{up.Output}");
            Assert.DoesNotContain("Unhandled exception", up.Output, StringComparison.Ordinal);
            Assert.DoesNotContain("was killed", up.Output, StringComparison.Ordinal); // Azurite ended on its own, saved
        }

        await using var restarted = await KonduktorUp.StartAsync(home, extraArguments: ["--no-runner"]);
        Assert.DoesNotContain("Replayed", restarted.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_database_file_a_power_cut_left_empty_comes_back_from_the_last_checkpoint_and_the_journal()
    {
        var home = KonduktorUp.NewHome();
        var data = Path.Combine(home, "azurite");
        await using (var up = await KonduktorUp.StartAsync(home, extraArguments: ["--no-runner"]))
        {
            Assert.Equal(0, (await up.CliAsync("workspaces", "create", "myorg/cut")).ExitCode);
            Assert.Equal(0, (await up.CliAsync("-w", "cut", "tasks", "create", "--title", "before the checkpoint")).ExitCode);
            Assert.Equal(0, await up.StopAsync());
        }

        await using (var up = await KonduktorUp.StartAsync(home, extraArguments: ["--no-runner"]))
        {
            Assert.Equal(0, (await up.CliAsync("-w", "cut", "tasks", "create", "--title", "after the checkpoint")).ExitCode);
            up.CrashWithAzurite();
        }

        // What a rename of an unsynced file can leave after a power cut: the name, and nothing in it.
        await File.WriteAllTextAsync(Path.Combine(data, "__azurite_db_table__.json"), "");
        await using var restarted = await KonduktorUp.StartAsync(home, extraArguments: ["--no-runner"]);
        Assert.Contains("restored from the last checkpoint", restarted.Output, StringComparison.Ordinal);
        Assert.Equal(["after the checkpoint", "before the checkpoint"], (await TasksAsync(restarted, "cut")).Select(t => t.Title).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Closing_the_terminal_window_up_runs_in_stops_it_in_order_with_every_write_saved()
    {
        var home = KonduktorUp.NewHome();
        var start = KonduktorCli.StartInfo(home, ["up", "--port", "0", "--agent-command", StandInAgent.Executable]);
        StandInAgent.Prepare(start, home);
        int azurite;
        await using (var terminal = PseudoTerminal.Start(start))
        {
            await Eventually.WaitAsync(() => Task.FromResult(terminal.Screen.Contains(Konduktor.LocalHost.UpCommand.ReadyPrefix, StringComparison.Ordinal) ? terminal.Screen : null), "up to be ready in its terminal", TimeSpan.FromSeconds(90));
            azurite = new Konduktor.Cli.KonduktorHome(home).ReadUpState()!.AzuritePid!.Value;
            Assert.Equal(0, (await KonduktorCli.RunAsync(home, ["workspaces", "create", "myorg/window"])).ExitCode);
            foreach (var title in new[] { "one", "two", "three" })
            {
                Assert.Equal(0, (await KonduktorCli.RunAsync(home, ["-w", "window", "tasks", "create", "--title", title])).ExitCode);
            }

            await terminal.CloseWindowAsync();
            using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            await terminal.Process.WaitForExitAsync(patience.Token);
            Assert.True(terminal.Process.ExitCode == 0, $"up exited with {terminal.Process.ExitCode}:\n{terminal.Screen}");
        }

        Assert.False(Konduktor.Runner.Processes.ProcessSignals.IsAlive(azurite), "Azurite outlived up");
        Assert.False(File.Exists(Path.Combine(home, "up.json")));
        Assert.Empty(StorageJournal.Segments(DurableStorage.JournalFolder(Path.Combine(home, "azurite"))));
        await using var restarted = await KonduktorUp.StartAsync(home, extraArguments: ["--no-runner"]);
        Assert.DoesNotContain("Replayed", restarted.Output, StringComparison.Ordinal);
        Assert.Equal(["one", "three", "two"], (await TasksAsync(restarted, "window")).Select(t => t.Title).Order(StringComparer.Ordinal));
    }

    internal static async Task<List<TaskItem>> TasksAsync(KonduktorUp up, string workspace)
    {
        var listed = await up.CliAsync("-w", workspace, "--json", "tasks", "list");
        Assert.True(listed.ExitCode == 0, listed.ToString());
        return JsonSerializer.Deserialize<List<TaskItem>>(listed.Output, SessionsHost.Json)!;
    }
}

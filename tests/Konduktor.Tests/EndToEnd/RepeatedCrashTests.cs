using System.Collections.Concurrent;
using Konduktor.Core.Sessions;
using Konduktor.Tests.Infrastructure;

namespace Konduktor.Tests.EndToEnd;

/// <summary>
/// The longest durability test, in a class of its own so it runs beside the others rather than after them: <c>up</c>
/// and its Azurite killed together twenty times while a person creates tasks and an agent logs.
/// </summary>
public sealed class RepeatedCrashTests(ITestOutputHelper output)
{
    /// <summary>
    /// Twenty times, while a person creates tasks as fast as the CLI goes and an agent logs steadily through a runner of
    /// its own (which outlives every crash, spooling what it could not ship), up and Azurite are killed at a random
    /// moment and up is started again. Then every task the CLI said was created is there once, and the session's log
    /// holds every line the agent said, in order, as one gap-free sequence, none twice.
    /// </summary>
    [Fact]
    public async Task Killed_twenty_times_at_random_moments_up_loses_no_acknowledged_task_and_no_log_event()
    {
        var seed = Environment.TickCount;
        var random = new Random(seed);
        var home = KonduktorUp.NewHome();
        var port = KonduktorUp.FreePort();
        var remote = await GitRemote.CreateAsync();
        var acknowledged = new ConcurrentBag<string>();
        var steps = Enumerable.Range(1, 3000).SelectMany(k => new object[] { new { say = $"line {k}" }, new { sleep = 40 } }).ToArray();
        Session session;
        RunnerProcess runner;
        await using (var first = await KonduktorUp.StartAsync(home, port: port, extraArguments: ["--no-runner"]))
        {
            Assert.Equal(0, (await first.CliAsync("workspaces", "create", remote.Path, "--name", "chaos")).ExitCode);
            var driver = new SessionDriver(first);
            session = await driver.RunAsync("chaos", await driver.CreateTaskAsync("chaos", "a talkative agent", StandInAgent.Script(steps)));
            runner = await RunnerProcess.StartAsync(home, "survivor");
            await Eventually.WaitAsync(async () => await driver.GetSessionAsync("chaos", session.Id) is { Status: SessionStatus.Running } running ? running : null, "the agent to be running");
        }

        await using var keep = runner;
        for (var cycle = 0; cycle < 20; cycle++)
        {
            await using var up = await KonduktorUp.StartAsync(home, port: port, extraArguments: ["--no-runner"]);

            using var stop = new CancellationTokenSource();
            var firstThisCycle = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var person = Task.Run(async () =>
            {
                for (var n = 0; !stop.IsCancellationRequested; n++)
                {
                    var title = $"cycle {cycle} task {n}";
                    if ((await up.CliAsync("-w", "chaos", "tasks", "create", "--title", title)).ExitCode == 0)
                    {
                        acknowledged.Add(title);
                        firstThisCycle.TrySetResult();
                    }
                }
            });

            // Every other cycle the crash comes after this cycle's first acknowledged task (so at least ten are tested
            // however slow the machine), the others at any moment from the start (replay and startup included).
            if (cycle % 2 == 1)
            {
                await firstThisCycle.Task.WaitAsync(TimeSpan.FromSeconds(60));
            }

            await Task.Delay(random.Next(300, 2000)); // the moment of the crash, not a wait for anything
            up.CrashWithAzurite();
            await stop.CancelAsync();
            await person;
        }

        await using var last = await KonduktorUp.StartAsync(home, port: port, extraArguments: ["--no-runner"]);
        output.WriteLine((await last.CliAsync("-w", "chaos", "sessions", "stop", session.ShortId)).ToString()); // unless it has ended by itself
        var driverAfter = new SessionDriver(last);
        var ended = await driverAfter.WaitForEndAsync("chaos", session.Id, TimeSpan.FromSeconds(90));
        Assert.True(ended.Status is SessionStatus.Stopped or SessionStatus.Succeeded, $"{ended.Status}: {ended.Error}");
        var titles = (await DurabilityTests.TasksAsync(last, "chaos")).Select(t => t.Title).ToList();
        var missing = acknowledged.Except(titles).ToList();
        Assert.True(missing.Count == 0, $"seed {seed}: acknowledged but gone: {string.Join(", ", missing)}");
        Assert.True(titles.Count == titles.Distinct().Count(), $"seed {seed}: a task is there twice");
        var events = await driverAfter.LogsAsync("chaos", session.Id);
        Assert.Equal(Enumerable.Range(1, events.Count).Select(i => (long)i), events.Select(e => e.Seq));
        var said = events.Select(e => System.Text.RegularExpressions.Regex.Match(e.Text, @"""text"":""line (\d+)""")).Where(m => m.Success).Select(m => int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.True(said.SequenceEqual(Enumerable.Range(1, said.Count)), $"seed {seed}: the agent's lines came back as {string.Join(",", said)}");
        output.WriteLine($"seed {seed}: {acknowledged.Count} tasks acknowledged, {said.Count} lines of the agent ({events.Count} log events) through 20 crashes, all kept");
        Assert.True(said.Count > 100 && acknowledged.Count >= 10, "the crashes came before much was written: too little was tested");
    }
}

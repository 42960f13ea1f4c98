using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using Konduktor.Core.Json;
using Konduktor.Core.Projects;
using Konduktor.Core.Tasks;

namespace Konduktor.Bench;

/// <summary>
/// A project of many phases driven to completion through `up`'s orchestration: auto-run opens each phase's tasks, the
/// stand-in agent moves its own task to Done from inside its session, the bench approves each review at once.
/// Measures how fast the orchestration follows: last task Done → phase up for review, approval → next phase opened
/// (and its first session started), and last task Done → next phase opened end to end.
/// </summary>
public static class ProjectBench
{
    private static readonly JsonSerializerOptions Json = new(KonduktorJson.Options) { UnmappedMemberHandling = System.Text.Json.Serialization.JsonUnmappedMemberHandling.Skip };

    public static async Task RunAsync(int phaseCount, int tasksPerPhase)
    {
        await using var host = await BenchHost.StartAsync("--no-runner");
        using var runner = host.StartRunner("bench", capacity: tasksPerPhase);
        var remote = await BenchHost.NewRemoteAsync();
        (await host.Http.PostAsJsonAsync("api/workspaces", new { repository = remote, name = "bench" })).EnsureSuccessStatusCode();
        var created = await host.Http.PostAsJsonAsync("api/workspaces/bench/projects", new NewProject
        {
            Title = "Bench project",
            Phases = Enumerable.Range(1, phaseCount).Select(i => $"Phase {i}").ToList(),
            AutoRun = true,
        }, Json);
        var project = (await created.Content.ReadFromJsonAsync<Project>(Json))!;
        var script = "```standin\n[{\"say\": \"working\"}, {\"konduktor\": [\"tasks\", \"move\", \"%KONDUKTOR_TASK%\", \"Done\"]}]\n```";
        for (var phase = 1; phase <= phaseCount; phase++)
        {
            for (var i = 0; i < tasksPerPhase; i++)
            {
                (await host.Http.PostAsJsonAsync("api/workspaces/bench/tasks", new NewTask { Title = $"Phase {phase} task {i}", Description = script, Project = project.ShortId, Phase = phase }, Json)).EnsureSuccessStatusCode();
            }
        }

        Console.WriteLine($"bench projects: {phaseCount} phases x {tasksPerPhase} tasks, auto-run, stand-in agents moving their tasks to Done, one runner of capacity {tasksPerPhase}");
        var total = Stopwatch.StartNew();
        (await host.Http.PostAsync($"api/workspaces/bench/projects/{project.ShortId}/start", null)).EnsureSuccessStatusCode();
        var toReview = new List<double>();
        var toOpen = new List<double>();
        var toFirstSession = new List<double>();
        var doneToOpen = new List<double>();
        for (var phase = 0; phase < phaseCount; phase++)
        {
            var awaiting = await WaitAsync(host, project, p => p.Phases[phase].ReviewRequestedAt is not null, TimeSpan.FromMinutes(2));
            var tasks = (await host.Http.GetFromJsonAsync<List<TaskItem>>("api/workspaces/bench/tasks", Json))!.Where(t => t.PhaseId == awaiting.Phases[phase].Id).ToList();
            var lastDone = tasks.Max(t => t.StatusChangedAt!.Value);
            toReview.Add((awaiting.Phases[phase].ReviewRequestedAt!.Value - lastDone).TotalMilliseconds);
            var approval = await host.Http.PostAsJsonAsync($"api/workspaces/bench/projects/{project.ShortId}/approve", new Approval(phase + 1), Json);
            approval.EnsureSuccessStatusCode();
            var approvedAt = (await approval.Content.ReadFromJsonAsync<Project>(Json))!.Phases[phase].ApprovedAt!.Value;
            if (phase == phaseCount - 1)
            {
                var completed = await WaitAsync(host, project, p => p.Status == ProjectStatus.Completed, TimeSpan.FromMinutes(1));
                toOpen.Add((completed.CompletedAt!.Value - approvedAt).TotalMilliseconds);
                doneToOpen.Add((completed.CompletedAt!.Value - lastDone).TotalMilliseconds);
                break;
            }

            var opened = await WaitAsync(host, project, p => p.Phases[phase + 1].OpenedAt is not null, TimeSpan.FromMinutes(1));
            toOpen.Add((opened.Phases[phase + 1].OpenedAt!.Value - approvedAt).TotalMilliseconds);
            doneToOpen.Add((opened.Phases[phase + 1].OpenedAt!.Value - lastDone).TotalMilliseconds);
            toFirstSession.Add((await FirstSessionAsync(host, opened.Phases[phase + 1].Id) - approvedAt).TotalMilliseconds);
        }

        Console.WriteLine($"  completed {phaseCount * tasksPerPhase} tasks in {phaseCount} phases in {total.Elapsed.TotalSeconds:0.0} s");
        Report("last task Done -> phase up for review", toReview);
        Report("approval -> next phase opened (or project completed)", toOpen);
        Report("approval -> first session of the next phase queued", toFirstSession);
        Report("last task Done -> next phase opened, approving at once (goal < 2 s)", doneToOpen);
    }

    private static async Task<DateTimeOffset> FirstSessionAsync(BenchHost host, Guid phaseId)
    {
        while (true)
        {
            var started = (await host.Http.GetFromJsonAsync<List<TaskItem>>("api/workspaces/bench/tasks", Json))!.FirstOrDefault(t => t.PhaseId == phaseId && t.LatestSession is not null);
            if (started is not null)
            {
                var session = await host.Http.GetFromJsonAsync<JsonElement>($"api/workspaces/bench/sessions/{started.LatestSession!.Id}");
                return session.GetProperty("createdAt").GetDateTimeOffset();
            }

            await Task.Delay(20);
        }
    }

    private static async Task<Project> WaitAsync(BenchHost host, Project project, Func<Project, bool> condition, TimeSpan timeout)
    {
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < timeout)
        {
            var current = (await host.Http.GetFromJsonAsync<Project>($"api/workspaces/bench/projects/{project.ShortId}", Json))!;
            if (condition(current))
            {
                return current;
            }

            await Task.Delay(20);
        }

        throw new TimeoutException($"the project did not get there in {timeout.TotalSeconds:0} s");
    }

    private static void Report(string what, List<double> values)
    {
        var sorted = values.Order().ToList();
        double At(double q) => sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(q * sorted.Count) - 1)];
        Console.WriteLine($"  {what}: p50 {At(0.5):0} ms, p95 {At(0.95):0} ms, max {sorted[^1]:0} ms ({sorted.Count} phases)");
    }
}

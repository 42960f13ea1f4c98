using Konduktor.Bench;

// Konduktor's benchmarks: figures printed, never asserted (tests check correctness; this measures speed).
//   dotnet run --project bench -c Release -- board [--tasks N] | dispatch [--runs N --native] | logs [--events N] | resume [--runs N] | orphan [--runs N --window S --janitor S] | idle [--seconds N --through-api] | web [--tasks N --events N --runs N] | webhooks [--deliveries N] | github-webhooks [--deliveries N] | reconcile [--prs N --passes N] | projects [--phases N --tasks N] | chaos [--minutes N --runners N --tasks N --seed N] | native [--runs N] (after ./publish) | feed [--seconds N --changes N] | year [--scale X --old-layout] | proxy [--requests N] | sandbox [--runs N] | talk [--messages N --stops N]
// A confined agent's network relay is the runner's own binary with a hidden verb; in `bench sandbox`, this one.
if (args is [Konduktor.Runner.Sandbox.AgentNetwork.Verb, .. var relayed])
{
    return Konduktor.Runner.Sandbox.AgentNetwork.Relay(relayed);
}

var which = args.FirstOrDefault() ?? "board";
int Option(string name, int fallback) => args.SkipWhile(a => a != name).Skip(1).Select(int.Parse).FirstOrDefault(fallback);
switch (which)
{
    case "board":
        await BoardBench.RunAsync(Option("--tasks", 10_000));
        return 0;
    case "dispatch":
        await SessionBenches.DispatchAsync(Option("--runs", 50), args.Contains("--native") ? NativeBench.Executable() : null);
        return 0;
    case "logs":
        await SessionBenches.LogsAsync(Option("--events", 100_000));
        return 0;
    case "resume":
        await SessionBenches.ResumeAsync(Option("--runs", 20));
        return 0;
    case "orphan":
        await SessionBenches.OrphanAsync(Option("--runs", 3), Option("--window", 10), Option("--janitor", 2));
        return 0;
    case "web":
        await WebBench.RunAsync(Option("--tasks", 10_000), Option("--events", 100_000), Option("--runs", 5));
        return 0;
    case "webhooks":
        await WebhookBench.RunAsync(Option("--deliveries", 1_000));
        return 0;
    case "github-webhooks":
        await GitHubBench.WebhooksAsync(Option("--deliveries", 1_000));
        return 0;
    case "reconcile":
        await GitHubBench.ReconcilerAsync(Option("--prs", 50), Option("--passes", 6));
        return 0;
    case "chaos":
        return await ChaosBench.RunAsync(TimeSpan.FromMinutes(Option("--minutes", 10)), Option("--runners", 3), Option("--tasks", 30), Option("--seed", 1));
    case "native":
        return await NativeBench.RunAsync(Option("--runs", 30));
    case "projects":
        await ProjectBench.RunAsync(Option("--phases", 20), Option("--tasks", 10));
        return 0;
    case "feed":
        await FeedBench.RunAsync(Option("--seconds", 120), Option("--changes", 30));
        return 0;
    case "sandbox":
        await SessionBenches.SandboxOverheadAsync(Option("--runs", 20));
        return 0;
    case "proxy":
        await ProxyBench.RunAsync(Option("--requests", 500));
        return 0;
    case "year":
        await YearBench.RunAsync(args.SkipWhile(a => a != "--scale").Skip(1).Select(a => double.Parse(a, System.Globalization.CultureInfo.InvariantCulture)).FirstOrDefault(1.0), args.Contains("--old-layout"));
        return 0;
    case "talk":
        await TalkBench.RunAsync(Option("--messages", 50), Option("--stops", 10));
        return 0;
    case "idle":
        await SessionBenches.IdleAsync(Option("--seconds", 120), args.Contains("--through-api"));
        return 0;
    default:
        Console.Error.WriteLine($"error: unknown bench '{which}'; available: board, dispatch, logs, resume, orphan, idle, web, webhooks, github-webhooks, reconcile, projects, chaos, native, feed, year, proxy, sandbox, talk");
        return 2;
}

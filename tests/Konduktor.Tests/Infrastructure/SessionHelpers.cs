using System.Diagnostics;
using System.Text.Json;

namespace Konduktor.Tests.Infrastructure;

/// <summary>The scripted stand-in for <c>claude</c> (tests/Konduktor.StandInAgent), and how tasks carry its script.</summary>
public static class StandInAgent
{
    public static readonly string Executable = Path.Combine(KonduktorCli.RepositoryRoot, "tests", "Konduktor.StandInAgent", "bin",
        new DirectoryInfo(Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory)).Parent!.Name, "net10.0", "standin-agent");

    /// <summary>A task description whose fenced block is the stand-in's script.</summary>
    public static string Script(params object[] steps) => $"Scripted for the stand-in agent.\n\n```standin\n{JsonSerializer.Serialize(steps)}\n```\n";

    /// <summary>Gives a process (up, a runner, and so the agents) its own HOME and a git identity, inside the Konduktor home.</summary>
    public static void Prepare(ProcessStartInfo start, string home)
    {
        var userHome = Path.Combine(home, "user-home");
        Directory.CreateDirectory(userHome);
        start.Environment["HOME"] = userHome;
        start.Environment["GIT_AUTHOR_NAME"] = start.Environment["GIT_COMMITTER_NAME"] = "Stand-in Agent";
        start.Environment["GIT_AUTHOR_EMAIL"] = start.Environment["GIT_COMMITTER_EMAIL"] = "agent@example.com";
        start.Environment.Remove("KONDUKTOR_AGENT_COMMAND");
    }
}

/// <summary>A local bare repository standing in for GitHub's remote, with one commit on main.</summary>
public sealed class GitRemote
{
    private GitRemote(string path) => Path = path;

    public string Path { get; }

    public static async Task<GitRemote> CreateAsync()
    {
        var root = Directory.CreateTempSubdirectory("konduktor-remote-").FullName;
        var bare = System.IO.Path.Combine(root, "origin.git");
        var seed = System.IO.Path.Combine(root, "seed");
        await Git(root, "init", "--quiet", "--bare", "--initial-branch", "main", bare);
        await Git(root, "init", "--quiet", "--initial-branch", "main", seed);
        await File.WriteAllTextAsync(System.IO.Path.Combine(seed, "README.md"), "# A project\n");
        await Git(seed, "add", "README.md");
        await Git(seed, "-c", "user.name=Seed", "-c", "user.email=seed@example.com", "commit", "--quiet", "-m", "Initial commit");
        await Git(seed, "push", "--quiet", bare, "main");
        return new GitRemote(bare);
    }

    public Task<string> GitAsync(params string[] arguments) => Git(Path, arguments);

    /// <summary>Pushes a commit of these files to main, as a person would; files under <c>.konduktor/</c> are executable.</summary>
    public async Task CommitAsync(string message, params (string Path, string Content)[] files)
    {
        var clone = Directory.CreateTempSubdirectory("konduktor-push-").FullName;
        await Git(clone, "clone", "--quiet", Path, ".");
        foreach (var (path, content) in files)
        {
            var file = System.IO.Path.Combine(clone, path);
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(file)!);
            await File.WriteAllTextAsync(file, content);
            if (path.StartsWith(".konduktor/", StringComparison.Ordinal) && !OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(file, (UnixFileMode)0b111_101_101);
            }
        }

        await Git(clone, "add", "-A");
        await Git(clone, "-c", "user.name=Person", "-c", "user.email=person@example.com", "commit", "--quiet", "-m", message);
        await Git(clone, "push", "--quiet", "origin", "main");
    }

    public static async Task<string> Git(string directory, params string[] arguments)
    {
        var start = new ProcessStartInfo("git") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = directory };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"git {string.Join(' ', arguments)} failed: {await error}");
        }

        return await output;
    }
}

/// <summary>
/// Processes found by an argument only they carry (e.g. <c>sleep 600.4711</c>): agents run in their own pid namespace,
/// so a pid an agent reports is not the machine's; the test looks them up itself (Linux /proc, as the tests run there).
/// </summary>
public static class MarkedProcesses
{
    /// <summary>A <c>sleep</c> argument no other process has: ten minutes and a unique fraction.</summary>
    public static string NewSleep() => "600." + Random.Shared.Next(100_000, 999_999).ToString(System.Globalization.CultureInfo.InvariantCulture);

    public static IReadOnlyList<int> WithArgument(string argument) => Matching(arguments => arguments.Split('\0').Contains(argument));

    /// <summary>Processes whose command line mentions <paramref name="text"/> anywhere (a home or work folder).</summary>
    public static IReadOnlyList<int> Mentioning(string text) => Matching(arguments => arguments.Contains(text, StringComparison.Ordinal));

    private static List<int> Matching(Func<string, bool> matches)
    {
        var found = new List<int>();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), out var pid))
            {
                continue;
            }

            try
            {
                if (pid != Environment.ProcessId && matches(File.ReadAllText(Path.Combine(directory, "cmdline"))))
                {
                    found.Add(pid);
                }
            }
            catch (IOException)
            {
                // Gone while we looked.
            }
            catch (UnauthorizedAccessException)
            {
                // Not ours.
            }
        }

        return found;
    }
}

/// <summary>
/// Waiting on a condition, never on the clock: polls until it holds or the timeout says what did not happen. The polls
/// come every 50 ms at first, then less often, to at most every 400 ms: a probe is often a CLI process and an API call,
/// and a suite's many long waits polling briskly took cores from the work they waited for.
/// </summary>
public static class Eventually
{
    private static readonly TimeSpan FirstPoll = TimeSpan.FromMilliseconds(50);
    private static readonly TimeSpan SlowestPoll = TimeSpan.FromMilliseconds(400);

    public static async Task<T> WaitAsync<T>(Func<Task<T?>> probe, string what, TimeSpan? timeout = null)
        where T : class
    {
        var deadline = Stopwatch.StartNew();
        var limit = timeout ?? TimeSpan.FromSeconds(60);
        var poll = FirstPoll;
        while (true)
        {
            if (await probe() is { } value)
            {
                return value;
            }

            if (deadline.Elapsed > limit)
            {
                throw new TimeoutException($"timed out after {limit.TotalSeconds:0} s waiting for {what}");
            }

            await Task.Delay(poll);
            poll = TimeSpan.FromTicks(Math.Min(poll.Ticks * 3 / 2, SlowestPoll.Ticks));
        }
    }

    public static Task WaitAsync(Func<bool> condition, string what, TimeSpan? timeout = null) =>
        WaitAsync(() => Task.FromResult(condition() ? "" : null), what, timeout);
}

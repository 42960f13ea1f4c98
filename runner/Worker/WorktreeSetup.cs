using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;

namespace Konduktor.Runner.Worker;

/// <summary>
/// Makes a worktree ready before its agent starts and tidy before it is removed. First the runner's own files for the
/// repository (<c>runner-files/&lt;workspace&gt;/</c>: what must never be in git or in Konduktor's storage, such as
/// <c>.env.local</c>) are copied in and kept out of git. Then the setup script — the workspace's configured one, else
/// the repository's <c>.konduktor/setup</c> — runs in the worktree with the session's environment, confined like the
/// agent, its output a log stream of its own. It runs once per worktree, and again only when the script or the files
/// it names on a <c># konduktor: inputs PATH…</c> line change, so a resume does not pay for it twice.
/// </summary>
public static class WorktreeSetup
{
    public const string SetupFile = ".konduktor/setup";
    public const string CleanupFile = ".konduktor/cleanup";
    public const string LogStream = "setup";
    private const string InputsLine = "# konduktor: inputs ";
    private const string DoneFile = "konduktor-setup";
    private const string ConfiguredCleanupFile = "konduktor-cleanup";
    private const int TailLines = 20;
    private const long MaxScriptBytes = 1024 * 1024;
    private const long MaxInputBytes = 64L * 1024 * 1024;

    /// <summary>A script to run: where it is, and what the log and a failure call it.</summary>
    public sealed record Script(string Path, string Name, string Content);

    /// <summary>What became of a setup: skipped (unchanged or none), done, or failed with why (the agent does not start then).</summary>
    public sealed record Outcome(string? Failure, string Note);

    /// <summary>Copies the runner's files for this workspace into a worktree (never over a versioned file) and has git ignore them.</summary>
    /// <param name="isVersioned">Whether git versions a path of the worktree (asked of the runner's confined git).</param>
    public static async Task<IReadOnlyList<string>> CopyRunnerFilesAsync(string? filesRoot, string workspaceName, string worktree, string commonGitDirectory,
        Func<string, CancellationToken, Task<bool>> isVersioned, CancellationToken ct)
    {
        var source = filesRoot is null ? null : System.IO.Path.Combine(filesRoot, workspaceName);
        if (source is null || !Directory.Exists(source))
        {
            return [];
        }

        var copied = new List<string>();
        var skipped = new List<string>();
        foreach (var file in Directory.EnumerateFiles(source, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 }).Order(StringComparer.Ordinal))
        {
            var relative = System.IO.Path.GetRelativePath(source, file).Replace(System.IO.Path.DirectorySeparatorChar, '/');
            if (await isVersioned(relative, ct))
            {
                skipped.Add(relative);
                continue;
            }

            // The worktree is the agent's: a link it left on the way or in place of the file is never written through.
            var target = System.IO.Path.Combine(worktree, relative);
            if (AgentWrittenFiles.WhyNotPlain(System.IO.Path.GetDirectoryName(target)!, worktree) is { } why)
            {
                skipped.Add($"{relative} ({why})");
                continue;
            }

            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(target)!);
            AgentWrittenFiles.Write(target, worktree, await File.ReadAllBytesAsync(file, ct));
            copied.Add(relative);
        }

        var exclude = System.IO.Path.Combine(commonGitDirectory, "info", "exclude");
        var lines = AgentWrittenFiles.ReadText(exclude, commonGitDirectory, 1024 * 1024) is { } text ? text.Split('\n').ToList() : [];
        var missing = copied.Select(p => "/" + p).Where(p => !lines.Contains(p, StringComparer.Ordinal)).ToList();
        if (missing.Count > 0)
        {
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(exclude)!);
            AgentWrittenFiles.Write(exclude, commonGitDirectory, string.Join('\n', lines.Where(l => l.Length > 0).Concat(missing)) + "\n");
        }

        var notes = new List<string>();
        if (copied.Count > 0)
        {
            notes.Add($"copied the runner's files into the worktree (kept out of git): {string.Join(", ", copied)}");
        }

        if (skipped.Count > 0)
        {
            notes.Add($"warning: not copied, the repository versions them: {string.Join(", ", skipped)}");
        }

        return notes;
    }

    /// <summary>The workspace's configured setup script wins over the repository's <c>.konduktor/setup</c>.</summary>
    public static Script? FindSetup(string worktree, string? configured, string sessionDirectory) =>
        configured is { Length: > 0 }
            ? Written(System.IO.Path.Combine(sessionDirectory, "setup"), "the workspace's setup script", configured)
            : InRepository(worktree, SetupFile);

    /// <summary>
    /// Runs the setup unless it already ran here with the same script and inputs. <paramref name="start"/> starts a
    /// process confined and in a group of its own; <paramref name="halt"/> is a stop, a lapsed lease or a shutdown.
    /// </summary>
    public static async Task<Outcome> SetUpAsync(Script script, string worktree, string gitDirectory, ProcessStartInfo sessionEnvironment,
        Func<ProcessStartInfo, Process> start, Action<string> line, TimeSpan timeout, CancellationToken halt)
    {
        var fingerprint = Fingerprint(script, worktree);
        if (fingerprint.Failure is { } unusable)
        {
            return new Outcome(unusable, unusable);
        }

        var done = System.IO.Path.Combine(gitDirectory, DoneFile);
        if (AgentWrittenFiles.ReadText(done, gitDirectory)?.Trim() == fingerprint.Value)
        {
            return new Outcome(null, $"{script.Name} already ran in this worktree with the same script and inputs: not run again");
        }

        AgentWrittenFiles.Remove(done);
        var (exitCode, tail, timedOut) = await RunAsync(script, worktree, sessionEnvironment, start, line, timeout, halt);
        if (timedOut)
        {
            return new Outcome($"{script.Name} did not finish in {Minutes(timeout)}, so the agent did not start; its last lines:\n{tail}", $"{script.Name} timed out after {Minutes(timeout)}");
        }

        if (exitCode != 0)
        {
            return new Outcome($"{script.Name} exited with code {exitCode}, so the agent did not start; its last lines:\n{tail}", $"{script.Name} exited with code {exitCode}");
        }

        AgentWrittenFiles.Write(done, gitDirectory, fingerprint.Value);
        return new Outcome(null, $"{script.Name} done");
    }

    /// <summary>Keeps the workspace's configured cleanup script beside the worktree, for when it is removed (no session is there then).</summary>
    public static void KeepCleanup(string gitDirectory, string? configured)
    {
        var kept = System.IO.Path.Combine(gitDirectory, ConfiguredCleanupFile);
        if (configured is { Length: > 0 })
        {
            AgentWrittenFiles.Write(kept, gitDirectory, configured);
        }
        else
        {
            AgentWrittenFiles.Remove(kept);
        }
    }

    /// <summary>The cleanup to run before a worktree is removed: the kept configured one, else the repository's <c>.konduktor/cleanup</c>.</summary>
    public static Script? FindCleanup(string worktree, string gitDirectory)
    {
        var kept = System.IO.Path.Combine(gitDirectory, ConfiguredCleanupFile);
        return AgentWrittenFiles.ReadText(kept, gitDirectory, MaxScriptBytes) is { } content ? new Script(kept, "the workspace's cleanup script", content) : InRepository(worktree, CleanupFile);
    }

    /// <summary>Runs a script in the worktree; its exit code, its last lines, and whether it was stopped at the timeout.</summary>
    public static async Task<(int ExitCode, string Tail, bool TimedOut)> RunAsync(Script script, string worktree, ProcessStartInfo environment,
        Func<ProcessStartInfo, Process> start, Action<string> line, TimeSpan timeout, CancellationToken halt)
    {
        var invocation = Invocation(script, worktree, environment);
        var tail = new Queue<string>();
        void Take(string text)
        {
            lock (tail)
            {
                tail.Enqueue(text);
                if (tail.Count > TailLines)
                {
                    tail.Dequeue();
                }
            }

            line(text);
        }

        using var process = start(invocation);
        process.StandardInput.Close();
        var output = Task.WhenAll(ReadLinesAsync(process.StandardOutput, Take), ReadLinesAsync(process.StandardError, Take));
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(halt);
        limit.CancelAfter(timeout);
        var timedOut = false;
        try
        {
            await process.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException)
        {
            timedOut = !halt.IsCancellationRequested;
        }

        // What the script left running in its group (a server started in the background) ends with it: asked at once,
        // killed after the grace. Not awaited once the script has exited (a sandbox's pid namespace keeps the group
        // for a second or two while the kernel tears it down), so a no-op setup costs the agent nothing to speak of.
        _ = ProcessSignals.StopGroupAsync(process.Id, ProcessSignals.StopGrace);
        await process.WaitForExitAsync(CancellationToken.None);
        if (halt.IsCancellationRequested)
        {
            // Stopped: what a descendant that escaped the group still writes does not hold the stop up.
            await Task.WhenAny(output, Task.Delay(TimeSpan.FromSeconds(1), CancellationToken.None));
            halt.ThrowIfCancellationRequested();
        }

        await output;
        lock (tail)
        {
            return (process.ExitCode, string.Join('\n', tail), timedOut);
        }
    }

    private static ProcessStartInfo Invocation(Script script, string worktree, ProcessStartInfo environment)
    {
        // A script with a #! line that may be executed runs itself; anything else runs with sh.
        var direct = script.Content.StartsWith("#!", StringComparison.Ordinal) && !OperatingSystem.IsWindows()
            && (File.GetUnixFileMode(script.Path) & UnixFileMode.UserExecute) != 0;
        var invocation = new ProcessStartInfo(direct ? script.Path : "/bin/sh")
        {
            WorkingDirectory = worktree,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (!direct)
        {
            invocation.ArgumentList.Add(script.Path);
        }

        invocation.Environment.Clear();
        foreach (var (name, value) in environment.Environment)
        {
            invocation.Environment[name] = value;
        }

        return invocation;
    }

    /// <summary>A script the repository holds; not one the agent replaced with a link, a FIFO or something huge.</summary>
    private static Script? InRepository(string worktree, string relative)
    {
        var path = System.IO.Path.Combine(worktree, relative);
        return Path.Exists(path) || new FileInfo(path).LinkTarget is not null
            ? AgentWrittenFiles.ReadRegular(path, worktree, MaxScriptBytes) is { Content: { } content } ? new Script(path, relative, Encoding.UTF8.GetString(content)) : null
            : null;
    }

    private static Script Written(string path, string name, string content)
    {
        PrivateFile.Write(path, content);
        return new Script(path, name, content);
    }

    /// <summary>The script and every input it names, hashed: what decides whether it runs again.</summary>
    private static (string Value, string? Failure) Fingerprint(Script script, string worktree)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(Encoding.UTF8.GetBytes(script.Content));
        var root = System.IO.Path.GetFullPath(worktree).TrimEnd(System.IO.Path.DirectorySeparatorChar) + System.IO.Path.DirectorySeparatorChar;
        foreach (var input in Inputs(script.Content))
        {
            var path = System.IO.Path.GetFullPath(System.IO.Path.Combine(root, input));
            if (!path.StartsWith(root, StringComparison.Ordinal))
            {
                return ("", $"{script.Name} names an input outside the repository ({input}); inputs are paths in the repository");
            }

            hash.AppendData(Encoding.UTF8.GetBytes("\0" + input + "\0"));
            IEnumerable<string> files = Directory.Exists(path)
                ? Directory.EnumerateFiles(path, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 }).Order(StringComparer.Ordinal)
                : File.Exists(path) ? [path] : [];
            foreach (var file in files)
            {
                hash.AppendData(Encoding.UTF8.GetBytes(System.IO.Path.GetRelativePath(root, file) + "\0"));
                var read = AgentWrittenFiles.ReadRegular(file, worktree, MaxInputBytes);
                hash.AppendData(read.Content ?? Encoding.UTF8.GetBytes(read.Refusal ?? ""));
            }
        }

        return (Convert.ToHexStringLower(hash.GetHashAndReset()), null);
    }

    private static IEnumerable<string> Inputs(string script) =>
        script.Split('\n').Select(l => l.Trim()).Where(l => l.StartsWith(InputsLine, StringComparison.Ordinal))
            .SelectMany(l => l[InputsLine.Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));

    private static async Task ReadLinesAsync(StreamReader reader, Action<string> line)
    {
        while (await reader.ReadLineAsync() is { } text)
        {
            line(text);
        }
    }

    private static string Minutes(TimeSpan timeout) => timeout.TotalMinutes >= 1 ? $"{timeout.TotalMinutes:0.#} min" : $"{timeout.TotalSeconds:0} s";
}

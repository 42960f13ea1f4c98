using System.Diagnostics;

namespace Konduktor.Runner.Sandbox;

/// <summary>
/// <c>git-remote-konduktor</c>, run by a confined agent's git for <c>git push</c> (a git remote helper, see
/// gitremote-helpers(7), with the <c>push</c> capability only): it lists the remote's branches as the repository last
/// fetched them, and asks the <see cref="PushBroker"/>, through the session's proxy, to push each commit; git shows the
/// runner's answer as the push's outcome ("! [remote rejected] main -> main (only … can be pushed …)").
/// </summary>
public static class GitRemoteHelper
{
    /// <summary>The hidden first argument that makes `konduktor` the remote helper (the `git-remote-konduktor` shim runs it).</summary>
    public const string Verb = "__git-remote";

    private static readonly TimeSpan PushTimeout = TimeSpan.FromMinutes(5);

    public static async Task<int> RunAsync(TextReader input, TextWriter output)
    {
        // HTTP_PROXY, as the sandbox sets it, is the only way to the broker.
        using var http = new HttpClient { Timeout = PushTimeout };
        List<string> pushes = [];
        while (await input.ReadLineAsync() is { } line)
        {
            if (line == "capabilities")
            {
                await output.WriteAsync("push\n\n");
            }
            else if (line.StartsWith("list", StringComparison.Ordinal))
            {
                await output.WriteAsync(await RemoteBranchesAsync() + "\n");
            }
            else if (line.StartsWith("push ", StringComparison.Ordinal))
            {
                pushes.Add(line["push ".Length..]);
            }
            else if (line.Length == 0 && pushes.Count > 0)
            {
                foreach (var push in pushes)
                {
                    await output.WriteAsync(await PushAsync(http, push) + "\n");
                }

                await output.WriteAsync("\n");
                pushes.Clear();
            }
            else if (line.Length == 0)
            {
                break;
            }
            else
            {
                await Console.Error.WriteLineAsync($"konduktor: git asked for '{line}', which pushing through Konduktor does not do");
                return 1;
            }

            await output.FlushAsync();
        }

        return 0;
    }

    /// <summary>One <c>push [+]SRC:DST</c>: git's <c>ok DST</c> or <c>error DST why</c>.</summary>
    private static async Task<string> PushAsync(HttpClient http, string refspec)
    {
        var force = refspec.StartsWith('+');
        var (source, destination) = refspec.TrimStart('+').Split(':', 2) is [var s, var d] ? (s, d) : ("", refspec);
        if (source.Length == 0)
        {
            return $"error {destination} Konduktor does not delete branches for agents";
        }

        var commit = (await GitAsync("rev-parse", "--verify", "--quiet", source + "^{commit}")).Trim();
        if (commit.Length == 0)
        {
            return $"error {destination} {source} is not a commit";
        }

        try
        {
            using var answer = await http.PostAsync($"http://{PushBroker.Host}/push", new StringContent(PushBroker.Body(new PushRequest(destination, commit, force))));
            var said = (await answer.Content.ReadAsStringAsync()).Trim().ReplaceLineEndings(" ");
            return answer.IsSuccessStatusCode ? $"ok {destination}" : $"error {destination} {said}";
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return $"error {destination} Konduktor could not be asked to push ({e.Message})";
        }
    }

    /// <summary>The remote's branches as this repository last fetched them (<c>refs/remotes/origin/*</c>), as git lists a remote's.</summary>
    private static async Task<string> RemoteBranchesAsync()
    {
        var listed = await GitAsync("for-each-ref", "--format=%(objectname) refs/heads/%(refname:lstrip=3)", "refs/remotes/origin/");
        return string.Concat(listed.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => !l.EndsWith(" refs/heads/HEAD", StringComparison.Ordinal)).Select(l => l + "\n"));
    }

    private static async Task<string> GitAsync(params string[] arguments)
    {
        using var git = Process.Start(new ProcessStartInfo("git", arguments) { RedirectStandardOutput = true, UseShellExecute = false })!;
        var output = await git.StandardOutput.ReadToEndAsync();
        await git.WaitForExitAsync();
        return git.ExitCode == 0 ? output : "";
    }
}

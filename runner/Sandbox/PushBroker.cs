using System.Text.RegularExpressions;

namespace Konduktor.Runner.Sandbox;

/// <summary>
/// How a confined agent's <c>git push</c> reaches the remote without a credential: its git has
/// <c>remote.origin.pushurl=konduktor::origin</c> (set in its environment only, never in the repository's config), so
/// git runs <c>git-remote-konduktor</c> (<see cref="GitRemoteHelper"/>), which asks the session's proxy, at
/// <see cref="Host"/>, to push a commit to a ref; the runner pushes it with its own credential, which never enters the
/// sandbox, and only to the task's branch.
/// </summary>
public static partial class PushBroker
{
    /// <summary>The name the helper's requests go to; the proxy answers it itself (it is no host anywhere).</summary>
    public const string Host = "push.konduktor.invalid";

    /// <summary>The remote-helper URL the agent's git pushes to.</summary>
    public const string PushUrl = "konduktor::origin";

    /// <summary>The agent's git pushes through the broker: set in its environment, so the runner's own git never sees it.</summary>
    public static void PushThroughBroker(System.Diagnostics.ProcessStartInfo agent)
    {
        agent.Environment["GIT_CONFIG_COUNT"] = "1";
        agent.Environment["GIT_CONFIG_KEY_0"] = "remote.origin.pushurl";
        agent.Environment["GIT_CONFIG_VALUE_0"] = PushUrl;
    }

    /// <summary>A request's body: the ref, the commit and whether it may replace what the ref holds, one per line.</summary>
    public static string Body(PushRequest request) => $"{request.Ref}\n{request.Commit}\n{(request.Force ? "force" : "fast-forward")}\n";

    public static PushRequest? Parse(string body) =>
        body.Split('\n') is [var reference, var commit, var mode, ..] && reference.StartsWith("refs/", StringComparison.Ordinal) && CommitPattern().IsMatch(commit) && mode is "force" or "fast-forward"
            ? new PushRequest(reference, commit, mode == "force")
            : null;

    [GeneratedRegex("^[0-9a-f]{40}([0-9a-f]{24})?$")]
    private static partial Regex CommitPattern();
}

/// <summary>What the agent's git asks to push: <paramref name="Commit"/> to <paramref name="Ref"/>.</summary>
public sealed record PushRequest(string Ref, string Commit, bool Force);

/// <summary>The runner's answer: pushed, or why not (in git's words or Konduktor's).</summary>
public sealed record PushAnswer(bool Pushed, string Message);

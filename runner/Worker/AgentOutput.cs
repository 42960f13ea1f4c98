using System.Diagnostics;
using Konduktor.Core.Quota;
using Konduktor.Core.Sessions;

namespace Konduktor.Runner.Worker;

/// <summary>
/// Everything a running agent writes: each stdout line (made whole again when it came in pieces) and each stderr line is
/// shipped as a log event, stream-json is understood on the way (its conversation id, its result), and the last lines
/// of stderr are kept to explain a failure that has no result.
/// </summary>
public sealed class AgentOutput
{
    private const int StderrTailLines = 30;
    private readonly Queue<string> _stderrTail = new();
    private readonly LogShipper _shipper;
    private readonly Action<string> _conversationStarted;
    private readonly Action<UsageLimit> _usageLimitChanged;
    private readonly Action _idle;
    private readonly Task _reading;
    private bool _saysItsState;
    private volatile bool _detached;

    /// <param name="conversationId">The conversation the agent continues, if it does; a new one is taken from its init.</param>
    /// <param name="conversationStarted">Called once with the id of a conversation the agent starts.</param>
    /// <param name="usageLimitChanged">Called when Claude Code says its account's usage limit changed (a warning, a rejection, allowed again).</param>
    /// <param name="idle">
    /// Called when the agent has answered everything written to it: Claude Code's <c>session_state_changed</c> to
    /// <c>idle</c>, or, from an agent that never says its state, its result.
    /// </param>
    public AgentOutput(Process agent, LogShipper shipper, string? conversationId, Action<string> conversationStarted, Action<UsageLimit> usageLimitChanged, Action idle)
    {
        _shipper = shipper;
        _conversationStarted = conversationStarted;
        _usageLimitChanged = usageLimitChanged;
        _idle = idle;
        ConversationId = conversationId;
        _reading = Task.WhenAll(
            Task.Run(() => ReadStdoutAsync(agent.StandardOutput), CancellationToken.None),
            Task.Run(() => ReadStderrAsync(agent.StandardError), CancellationToken.None));
    }

    public string? ConversationId { get; private set; }

    /// <summary>The session is over even though something still holds the agent's output open: what comes after is not shipped.</summary>
    public void Detach() => _detached = true;

    /// <summary>What Claude Code last said of its account's usage limit.</summary>
    public UsageLimit? UsageLimit { get; private set; }

    /// <summary>Claude Code's <c>result</c> once it has written one; the sum of its results when it answered several turns.</summary>
    public SessionOutcome? Outcome { get; private set; }

    /// <summary>Both streams read to their end (the agent and everything it started have closed them).</summary>
    public Task Completion => _reading;

    public string StderrTail
    {
        get
        {
            lock (_stderrTail)
            {
                return string.Join('\n', _stderrTail);
            }
        }
    }

    private async Task ReadStdoutAsync(StreamReader stdout)
    {
        var lines = new StreamJsonLines();
        while (await stdout.ReadLineAsync(CancellationToken.None) is { } line && !_detached)
        {
            foreach (var whole in lines.Add(line))
            {
                Understand(whole);
            }
        }

        if (!_detached && lines.Flush() is { } rest)
        {
            Understand(rest);
        }
    }

    private void Understand(string line)
    {
        _shipper.Add("stdout", line);
        if (line.Length == 0 || line[0] != '{')
        {
            return;
        }

        switch (ClaudeEvent.Parse(line))
        {
            case ClaudeEvent.Init init when !ClaudeTranscripts.IsConversationId(init.SessionId):
                _shipper.Add("konduktor", "warning: the agent's init named a conversation id that is not a UUID; it is ignored");
                break;
            case ClaudeEvent.Init init when init.SessionId != ConversationId:
                ConversationId = init.SessionId;
                _conversationStarted(init.SessionId);
                break;
            case ClaudeEvent.Result result:
                Outcome = Outcome is { } earlier ? result.Outcome.After(earlier) : result.Outcome;
                if (!_saysItsState)
                {
                    _idle();
                }

                break;
            case ClaudeEvent.SessionState state:
                _saysItsState = true;
                if (state.State == "idle")
                {
                    _idle();
                }

                break;
            case ClaudeEvent.RateLimit limit:
                var said = new UsageLimit(limit.Status, limit.Window, limit.ResetsAt);
                if (said != UsageLimit)
                {
                    UsageLimit = said;
                    _usageLimitChanged(said);
                }

                break;
        }
    }

    private async Task ReadStderrAsync(StreamReader stderr)
    {
        while (await stderr.ReadLineAsync(CancellationToken.None) is { } line && !_detached)
        {
            _shipper.Add("stderr", line);
            lock (_stderrTail)
            {
                _stderrTail.Enqueue(line);
                if (_stderrTail.Count > StderrTailLines)
                {
                    _stderrTail.Dequeue();
                }
            }
        }
    }
}

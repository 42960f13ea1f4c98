using System.Text.Json;
using Konduktor.Cli;
using Konduktor.Core.Json;
using Konduktor.Core.Sessions;
using Konduktor.Runner.Worker;

namespace Konduktor.Tests.Sessions;

/// <summary>
/// What Konduktor reads from Claude Code's stream-json and files, checked on lines shaped like the real 2.1.328 CLI's
/// (the contract tests in <see cref="RealClaudeTests"/> run the binary itself).
/// </summary>
public sealed class ClaudeStreamTests
{
    private const string SuccessResult = """
        {"type":"result","subtype":"success","is_error":false,"num_turns":2,"duration_ms":1832,"result":"All done.","session_id":"8af96cc8-ce46-46fc-82b2-29125beb706f",
         "total_cost_usd":0.0024000000000000002,"usage":{"input_tokens":100,"output_tokens":20,"cache_read_input_tokens":0,"cache_creation_input_tokens":0},
         "model_usage_since_last_result":{"claude-opus-5-5":{"inputTokens":100,"outputTokens":20,"costUSD":0.0008},"claude-haiku":{"costUSD":0.0001}},
         "permission_denials":[{"tool_name":"Bash","tool_use_id":"toolu_1","tool_input":{"command":"git push origin HEAD","description":"push"}}]}
        """;

    [Fact]
    public void The_log_is_read_once_on_the_server_into_entries_text_tool_calls_paired_with_their_results_notices_and_the_outcome()
    {
        LogEvent Line(long seq, string text, string stream = "stdout") => new(seq, DateTimeOffset.UnixEpoch, stream, text);
        var entries = new[]
        {
            Line(1, "runner started", "konduktor"),
            Line(2, """{"type":"system","subtype":"init","session_id":"abc","model":"m"}"""),
            Line(3, """{"type":"assistant","message":{"content":[{"type":"text","text":"Hello"},{"type":"tool_use","id":"t1","name":"Bash","input":{"command":"ls"}}]}}"""),
            Line(4, """{"type":"user","message":{"content":[{"type":"tool_result","tool_use_id":"t1","content":"a\nb","is_error":true}]}}"""),
            Line(5, "boom", "stderr"),
            Line(6, "installing", "setup"),
            Line(7, """{"type":"system","subtype":"permission_denied","tool_name":"Bash","tool_use_id":"t1","message":"needs approval"}"""),
            Line(8, """{"type":"system","subtype":"api_retry","attempt":2,"max_retries":10,"retry_delay_ms":1500,"error_status":529,"error":"overloaded"}"""),
            Line(9, """{"type":"rate_limit_event","rate_limit_info":{"status":"allowed_warning","rateLimitType":"five_hour","resetsAt":1900000000}}"""),
            Line(10, """{"type":"something_new","subtype":"later"}"""),
            Line(11, """{"type":"result","subtype":"error_max_turns","is_error":true,"total_cost_usd":0.2,"errors":["Reached maximum number of turns (1)"]}"""),
            Line(12, "not json"),
        }.SelectMany(LogEntries.Of).ToList();

        Assert.Equal(
            [LogEntryKind.Note, LogEntryKind.Init, LogEntryKind.Text, LogEntryKind.ToolUse, LogEntryKind.ToolResult, LogEntryKind.Stderr, LogEntryKind.Setup,
             LogEntryKind.Notice, LogEntryKind.Notice, LogEntryKind.RateLimit, LogEntryKind.Result, LogEntryKind.Raw],
            entries.Select(e => e.Kind));
        Assert.Equal(("abc", "m"), (entries[1].Conversation, entries[1].Model));
        Assert.Equal(("assistant", "Hello"), (entries[2].Role, entries[2].Text));
        Assert.Equal(("Bash", "t1", "ls"), (entries[3].Tool, entries[3].ToolId, entries[3].Gist));
        Assert.Equal(("t1", "a\nb", true), (entries[4].ToolId, entries[4].Text, entries[4].IsError));
        Assert.Equal((NoticeKind.PermissionDenied, "Bash: needs approval"), (entries[7].Notice, entries[7].Text));
        Assert.Equal((NoticeKind.ApiRetry, "attempt 2/10 in 1.5 s after 529 overloaded"), (entries[8].Notice, entries[8].Text));
        Assert.Equal(("allowed_warning", "five_hour", DateTimeOffset.FromUnixTimeSeconds(1900000000)), (entries[9].Status, entries[9].Window, entries[9].ResetsAt));
        Assert.Equal((false, 0.2m, "Reached maximum number of turns (1)"), (entries[10].Outcome!.Succeeded, entries[10].Outcome!.ConversationCostUsd, entries[10].Outcome!.Reason));
        Assert.Equal("not json", entries[11].Text);
        Assert.All(entries.Take(3), e => Assert.Equal(e.Seq, entries.IndexOf(e) + 1));
    }

    [Fact]
    public void A_result_gives_this_runs_cost_apart_from_the_conversations_total_and_lists_refused_tool_calls()
    {
        var outcome = Assert.IsType<ClaudeEvent.Result>(ClaudeEvent.Parse(SuccessResult.ReplaceLineEndings(""))).Outcome;

        Assert.Equal(0.0009m, outcome.CostUsd);
        Assert.Equal(0.0024000000000000002m, outcome.ConversationCostUsd);
        Assert.True(outcome.Succeeded);
        var denial = Assert.Single(outcome.PermissionDenials!);
        Assert.Equal(new PermissionDenial("Bash", "git push origin HEAD"), denial);
        Assert.Equal("All done.", outcome.Reason);
    }

    [Fact]
    public void A_claude_code_that_reports_only_totals_costs_the_total_less_the_conversations_earlier_cost()
    {
        var line = """{"type":"result","subtype":"success","is_error":false,"total_cost_usd":0.75,"result":"ok"}""";
        var outcome = Assert.IsType<ClaudeEvent.Result>(ClaudeEvent.Parse(line)).Outcome;

        Assert.Null(outcome.CostUsd);
        Assert.Equal(0.25m, outcome.WithRunCost(0.5m).CostUsd);
        Assert.Equal(0.75m, outcome.WithRunCost(null).CostUsd);
        Assert.Equal(0m, outcome.WithRunCost(2m).CostUsd);
        var reported = outcome with { CostUsd = 0.1m };
        Assert.Equal(0.1m, reported.WithRunCost(0.5m).CostUsd);
    }

    [Theory]
    [InlineData("""{"type":"result","subtype":"error_max_turns","is_error":true,"num_turns":2,"errors":["Reached maximum number of turns (1)"]}""", 1, "", "error_max_turns (is_error), exit code 1: Reached maximum number of turns (1)")]
    [InlineData("""{"type":"result","subtype":"success","is_error":true,"api_error_status":400,"result":"API Error: 400 bad prompt"}""", 1, "", "success (is_error), API status 400, exit code 1: API Error: 400 bad prompt")]
    [InlineData("""{"type":"result","subtype":"error_during_execution","is_error":true}""", 1, "the stderr tail", "error_during_execution (is_error), exit code 1: the stderr tail")]
    [InlineData(null, 137, "killed", "the agent exited with code 137 without a result:\nkilled")]
    public void A_failure_says_why_from_the_errors_the_result_text_or_the_stderr_tail(string? result, int exitCode, string stderr, string expected)
    {
        var outcome = result is null ? null : Assert.IsType<ClaudeEvent.Result>(ClaudeEvent.Parse(result)).Outcome;

        var reason = SessionVerdicts.FailureReason(outcome, exitCode, stderr);

        Assert.EndsWith(expected, reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"type":"system","subtype":"permission_denied","tool_name":"Bash","tool_use_id":"t","message":"This Bash command needs approval"}""", "⚠ permission denied: Bash: This Bash command needs approval")]
    [InlineData("""{"type":"system","subtype":"api_retry","attempt":3,"max_retries":10,"retry_delay_ms":2500,"error_status":529,"error":"overloaded"}""", "… API retry, attempt 3/10 in 2.5 s after 529 overloaded")]
    [InlineData("""{"type":"system","subtype":"vcs_state_changed","kind":"push","branch":"konduktor/abc","cwd":"/w"}""", "● git push konduktor/abc")]
    [InlineData("""{"type":"system","subtype":"informational","content":"Skills are off in this sandbox","level":"warning"}""", "ℹ Skills are off in this sandbox")]
    [InlineData("""{"type":"rate_limit_event","rate_limit_info":{"status":"allowed_warning","rateLimitType":"five_hour","resetsAt":1900000000}}""", "… usage limit allowed warning (five hour), resets 2030-03-17")]
    [InlineData("""{"type":"system","subtype":"init""", "{\"type\":\"system\",\"subtype\":\"init")]
    public void Every_event_the_real_cli_emits_renders_as_one_readable_line_and_unknown_ones_never_break_the_transcript(string line, string expected)
    {
        Assert.Equal(expected, Transcript.Render(LogEntries.Of(new LogEvent(1, DateTimeOffset.UnixEpoch, "stdout", line)).Single()));
    }

    [Theory]
    [InlineData("""{"type":"a_type_from_next_year","subtype":"whatever","payload":[1,2,3]}""")]
    [InlineData("""{"type":"system","subtype":"task_started","task_id":"b1"}""")]
    [InlineData("""{"type":"system","subtype":"session_state_changed","state":"idle"}""")]
    [InlineData("""{"type":"control_response","response":{"subtype":"success","request_id":"r1"}}""")]
    public void An_event_konduktor_does_not_show_a_person_is_left_out_of_the_transcript_and_never_breaks_it(string line)
    {
        Assert.Empty(LogEntries.Of(new LogEvent(1, DateTimeOffset.UnixEpoch, "stdout", line)));
    }

    [Fact]
    public void A_line_split_by_an_event_written_in_its_middle_comes_out_whole_after_that_event()
    {
        var lines = new StreamJsonLines();
        var long1 = """{"type":"assistant","message":{"content":[{"type":"text","text":"part one """;
        var retry = """{"type":"system","subtype":"api_retry","attempt":1}""";
        var out1 = lines.Add(long1 + retry).ToList();
        var out2 = lines.Add("""part two"}]}}""").ToList();
        var out3 = lines.Add("""{"type":"user","message":{"content":"next"}}""").ToList();

        Assert.Equal([retry], out1);
        var whole = Assert.Single(out2);
        var message = Assert.IsType<ClaudeEvent.Message>(ClaudeEvent.Parse(whole));
        Assert.Equal("part one part two", message.Parts[0].Text);
        Assert.Single(out3);
        Assert.Null(lines.Flush());
    }

    [Fact]
    public void A_piece_held_for_a_continuation_lets_whole_events_through_and_is_given_back_if_it_never_completes()
    {
        var lines = new StreamJsonLines();
        Assert.Empty(lines.Add("""{"type":"assistant","message":{"content":"cut off"""));
        Assert.Equal(["""{"type":"system","subtype":"informational","content":"x"}"""], lines.Add("""{"type":"system","subtype":"informational","content":"x"}"""));
        Assert.Equal(["plain text"], new StreamJsonLines().Add("plain text"));

        Assert.Equal("""{"type":"assistant","message":{"content":"cut off""", lines.Flush());
    }

    [Fact]
    public void A_transcript_is_found_by_its_id_under_any_folder_and_only_a_uuid_is_ever_a_file_name()
    {
        var projects = Directory.CreateTempSubdirectory("konduktor-projects-").FullName;
        var id = Guid.NewGuid().ToString();
        var elsewhere = Path.Combine(projects, "-some-other-directory");
        Directory.CreateDirectory(elsewhere);
        File.WriteAllText(Path.Combine(elsewhere, id + ".jsonl"), "{}\n");

        Assert.Equal([Path.Combine(elsewhere, id + ".jsonl")], ClaudeTranscripts.Candidates(projects, id));
        Assert.Empty(ClaudeTranscripts.Candidates(projects, Guid.NewGuid().ToString()));
        Assert.Empty(ClaudeTranscripts.Candidates(projects, "../../../elsewhere/evil"));
        Assert.False(ClaudeTranscripts.IsConversationId("../evil"));
        Assert.Throws<ArgumentException>(() => ClaudeTranscripts.RestorePath(projects, "/tmp/w", "../../evil"));
    }

    [Fact]
    public void A_restored_transcript_goes_where_claude_code_keeps_that_directory_with_long_names_cut_and_hashed()
    {
        var root = Directory.CreateTempSubdirectory("konduktor-cwd-").FullName;
        var real = Directory.CreateDirectory(Path.Combine(root, "real.dir")).FullName;
        var link = Path.Combine(root, "link");
        Directory.CreateSymbolicLink(link, real);
        var id = Guid.NewGuid().ToString();

        var restored = ClaudeTranscripts.RestorePath("/p", link, id);
        var deep = ClaudeTranscripts.RestorePath("/p", "/" + string.Join('/', Enumerable.Repeat("a-rather-long-folder-name", 12)), id);

        Assert.Equal(Path.Combine("/p", System.Text.RegularExpressions.Regex.Replace(real, "[^A-Za-z0-9]", "-"), id + ".jsonl"), restored);
        var folder = Path.GetFileName(Path.GetDirectoryName(deep))!;
        Assert.Equal(200, folder.Length);
        Assert.NotEqual(folder, Path.GetFileName(Path.GetDirectoryName(ClaudeTranscripts.RestorePath("/p", "/" + string.Join('/', Enumerable.Repeat("a-rather-long-folder-name", 13)), id))));
    }

    [Fact]
    public void A_needs_attention_session_reads_and_writes_as_needs_attention()
    {
        Assert.Equal("\"needs-attention\"", JsonSerializer.Serialize(SessionStatus.NeedsAttention, KonduktorJson.Options));
        Assert.True(SessionStates.CanMove(SessionStatus.Running, SessionStatus.NeedsAttention));
        Assert.True(SessionStates.IsFinal(SessionStatus.NeedsAttention));
    }
}

using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

// A scripted stand-in for `claude -p ... --output-format stream-json --verbose`, for tests and benches.
// The script is a JSON array of steps in a ```standin fenced block of the prompt (so each task carries its own),
// else in the file named by STANDIN_SCRIPT. Steps:
//   {"say": "text"}                      an assistant text message
//   {"tool": "Bash", "input": {...}, "output": "text"}   a tool call and its result
//   {"write": "path", "content": "text"} write a file in the worktree
//   {"commit": "message"}                git add -A; git commit -m message (%NAME% is that environment variable)
//   {"push": true}                       git push -u origin HEAD
//   {"sleep": 250}                       milliseconds
//   {"flood": 100000, "size": 100}       that many assistant messages, as fast as possible ("delay": ms between them)
//   {"stderr": "text"}                   a line on stderr
//   {"spawn": ["sleep", "600"]}          start a child process (it outlives nothing: it is in our process tree)
//   {"touch": "path"} / {"waitFor": "path"}  create a file / wait until a file exists (test synchronisation)
//   {"saveEnv": "NAME", "to": "path"}    write an environment variable's value to a file (never to the logs)
//   {"append": "path", "text": "line"}   append a line to a file (counts runs across processes)
//   {"lock": "path", "overlap": "path"}  hold the file locked for the agent's whole life (even SIGKILL frees it); when another
//                                        agent holds it, append a line to the overlap file (two agents of one task at once)
//   {"onStop": "path", "text": "line"}   on SIGTERM, append the line to the file, then exit 143 (an agent telling when it was stopped)
//   {"echoPrompt": true}                 say the prompt it was given, and its --resume id
//   {"env": ["KONDUKTOR_TASK", ...]}     say these environment variables (NAME=value, one per line)
//   {"sh": "command"}                    run a shell command (as Claude Code's Bash tool would); exit code and output as its result
//   {"konduktor": ["tasks", "list"]}     run the konduktor CLI on PATH; its output (and exit code) as a tool result
//                                        (%NAME% in an argument is that environment variable, e.g. %KONDUKTOR_TASK%)
//   {"deny": "Bash", "command": "git push"}   a tool call Claude Code refuses (permission mode): listed in the result
//   {"result": "success", "isError": false, "cost": 0.01, "turns": 2, "inputTokens": 100, "outputTokens": 50}
//                                        (cost is this run's; total_cost_usd adds the conversation's earlier runs)
//   {"exit": 3}                          exit at once with this code (no result unless one was emitted)
//   {"usageLimit": "rejected", "resetsIn": 60, "window": "five_hour"}  a rate_limit_event as Claude Code writes it (reset in
//                                        that many seconds); a rejection also ends the run as Claude Code does: an error result, exit 1
// Without a result step a turn ends with a success result, and the agent with exit code 0. Like Claude Code 2.1.328 it reads the prompt from
// stdin (a stream-json user message with --input-format stream-json; more messages are more turns; a message without a script
// is answered "heard: <text>"; CLAUDE_CODE_EMIT_SESSION_STATE_EVENTS=1 says running / idle), takes --session-id / --resume (finding the transcript under any folder of $CLAUDE_CONFIG_DIR/projects or
// ~/.claude/projects), --append-system-prompt-file, and answers --version and `auth status` (STANDIN_SIGNED_OUT=1: signed out).
if (args is ["--version"])
{
    Console.WriteLine("0.0.1 (Konduktor stand-in)");
    return 0;
}

var configDirectory = Environment.GetEnvironmentVariable("CLAUDE_CONFIG_DIR") is { Length: > 0 } config ? config
    : Path.Combine(Environment.GetEnvironmentVariable("HOME") ?? Environment.CurrentDirectory, ".claude");
var projects = Path.Combine(configDirectory, "projects");
if (args is ["auth", "status", ..])
{
    var signedIn = Environment.GetEnvironmentVariable("STANDIN_SIGNED_OUT") is not { Length: > 0 };
    Console.WriteLine(JsonSerializer.Serialize(new { loggedIn = signedIn, authMethod = signedIn ? "api_key" : "none", projectsDirectory = projects, configDirectory }));
    return signedIn ? 0 : 1;
}

// Like Claude Code: the prompt from stdin when -p has no text after it, the system prompt also from a file.
// With --input-format stream-json (as the runner gives it) the prompt is the first user message on stdin, and stdin
// stays open: each later user message is another turn, an interrupt control request ends the turn in flight, and the
// stand-in ends when stdin closes — as Claude Code 2.1.328 does.
var streamInput = Arg("--input-format") == "stream-json";
var prompt = Arg("-p") is { } inline && !inline.StartsWith("--", StringComparison.Ordinal) ? inline
    : streamInput ? (Console.In.ReadLine() is { } firstLine ? UserText(firstLine) : "")
    : Console.In.ReadToEnd();
var sayStates = Environment.GetEnvironmentVariable("CLAUDE_CODE_EMIT_SESSION_STATE_EVENTS") == "1";
var inbox = new System.Collections.Concurrent.BlockingCollection<string>();
var interrupted = 0;
var turnRunning = 0;
var emitting = new Lock();
var spent = 0m;
var appendedSystemPrompt = Arg("--append-system-prompt") ?? (Arg("--append-system-prompt-file") is { } systemFile ? File.ReadAllText(systemFile) : null);
var resume = Arg("--resume");
var cwd = Environment.CurrentDirectory;
var sessionId = resume ?? Arg("--session-id") ?? Guid.NewGuid().ToString();
var transcript = resume is null ? null
    : Directory.Exists(projects) ? Directory.GetDirectories(projects).Select(d => Path.Combine(d, resume + ".jsonl")).FirstOrDefault(File.Exists) : null;
if (resume is not null && transcript is null)
{
    // What Claude Code does: a line on stdout, an error result with the reason in `errors`, and exit code 1.
    Console.WriteLine($"No conversation found with session ID: {resume}");
    Console.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object?>
    {
        ["type"] = "result", ["subtype"] = "error_during_execution", ["is_error"] = true, ["num_turns"] = 0, ["session_id"] = resume,
        ["total_cost_usd"] = 0, ["errors"] = new[] { $"No conversation found with session ID: {resume}" },
    }));
    return 1;
}

if (transcript is null)
{
    var transcriptDir = Path.Combine(projects, Regex.Replace(cwd, "[^A-Za-z0-9]", "-"));
    Directory.CreateDirectory(transcriptDir);
    transcript = Path.Combine(transcriptDir, sessionId + ".jsonl");
}

// The conversation's cost so far: Claude Code reports totals per conversation, and this run's cost apart.
var earlierCost = File.Exists(transcript)
    ? File.ReadLines(transcript).Where(l => l.Contains("\"type\":\"result\"", StringComparison.Ordinal)).Select(l => JsonNode.Parse(l)?["total_cost_usd"]?.GetValue<decimal>() ?? 0).LastOrDefault()
    : 0m;

var stdout = new StreamWriter(Console.OpenStandardOutput()) { AutoFlush = false };
using var transcriptWriter = new StreamWriter(transcript, append: true);
var started = Stopwatch.StartNew();
var turns = 0;
var resultSent = false;
var denials = new JsonArray();

Emit(new JsonObject
{
    ["type"] = "system", ["subtype"] = "init", ["cwd"] = cwd, ["session_id"] = sessionId,
    ["tools"] = new JsonArray("Bash", "Edit", "Read", "Write"), ["mcp_servers"] = new JsonArray(),
    ["model"] = Arg("--model") ?? "stand-in", ["permissionMode"] = Arg("--permission-mode") ?? "default", ["apiKeySource"] = "none",
});
transcriptWriter.WriteLine(JsonSerializer.Serialize(new { type = "user", message = new { role = "user", content = prompt } }));
if (appendedSystemPrompt is not null && Environment.GetEnvironmentVariable("STANDIN_SYSTEM_PROMPT_TO") is { Length: > 0 } systemPromptCopy)
{
    File.WriteAllText(systemPromptCopy, appendedSystemPrompt);
}

// Held for the whole run: an onStop step answers SIGTERM until the agent ends.
System.Runtime.InteropServices.PosixSignalRegistration? stopRegistration = null;
FileStream? heldLock = null;
if (streamInput)
{
    new Thread(ReadStdin) { IsBackground = true }.Start();
}

Volatile.Write(ref turnRunning, 1);
State("running");
if (Turn(Script(prompt)) is { } ended)
{
    Flush();
    return ended;
}

EndTurn();
while (streamInput)
{
    // Like Claude Code: idle only once nothing queued on stdin is left to answer.
    var idle = inbox.Count == 0;
    if (idle)
    {
        State("idle");
    }

    Flush();
    if (!inbox.TryTake(out var next, Timeout.Infinite))
    {
        break;
    }

    Volatile.Write(ref turnRunning, 1);
    if (idle)
    {
        State("running");
    }

    var said = UserText(next);
    transcriptWriter.WriteLine(JsonSerializer.Serialize(new { type = "user", message = new { role = "user", content = said } }));
    if (Turn(ScriptIn(said) ?? JsonNode.Parse(JsonSerializer.Serialize(new[] { new { say = "heard: " + said } }))!.AsArray().Select(step => step!)) is { } endedEarly)
    {
        Flush();
        return endedEarly;
    }

    EndTurn();
}

Flush();
GC.KeepAlive(stopRegistration);
GC.KeepAlive(heldLock);
return 0;

// One turn: the script's steps until they end, the agent exits, or an interrupt ends the turn. An exit code when the agent ends.
int? Turn(IEnumerable<JsonNode> steps)
{
    foreach (var step in steps)
    {
        if (Interrupted())
        {
            return null;
        }

        if (step["say"] is { } say)
        {
            Say(say.GetValue<string>());
        }
        else if (step["tool"] is { } tool)
        {
            Tool(tool.GetValue<string>(), step["input"]?.DeepClone() ?? new JsonObject(), step["output"]?.GetValue<string>() ?? "", false);
        }
        else if (step["write"] is { } write)
        {
            var path = Path.Combine(cwd, write.GetValue<string>());
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, step["content"]?.GetValue<string>() ?? "");
            Tool("Write", new JsonObject { ["file_path"] = path }, "File written", false);
        }
        else if (step["commit"] is { } commit)
        {
            Run("git", ["add", "-A"]);
            var (code, output) = Run("git", ["commit", "-q", "-m", Environment.ExpandEnvironmentVariables(commit.GetValue<string>())]);
            Tool("Bash", new JsonObject { ["command"] = "git commit" }, output, code != 0);
        }
        else if (step["push"] is not null)
        {
            var (code, output) = Run("git", ["push", "-q", "-u", "origin", "HEAD"]);
            Tool("Bash", new JsonObject { ["command"] = "git push -u origin HEAD" }, output, code != 0);
        }
        else if (step["sleep"] is { } sleep)
        {
            Flush();
            var until = DateTime.UtcNow.AddMilliseconds(sleep.GetValue<int>());
            while (DateTime.UtcNow < until && !Interrupted())
            {
                Thread.Sleep(Math.Max(1, Math.Min(20, (int)(until - DateTime.UtcNow).TotalMilliseconds)));
            }
        }
        else if (step["flood"] is { } flood)
        {
            var size = step["size"]?.GetValue<int>() ?? 80;
            var delay = step["delay"]?.GetValue<int>() ?? 0;
            var count = flood.GetValue<int>();
            for (var i = 1; i <= count; i++)
            {
                Say($"event {i} of {count} ".PadRight(size, '.'));
                if (delay > 0)
                {
                    Flush();
                    Thread.Sleep(delay);
                }
            }
        }
        else if (step["usageLimit"] is { } usageLimit)
        {
            var status = usageLimit.GetValue<string>();
            Emit(new JsonObject
            {
                ["type"] = "rate_limit_event", ["session_id"] = sessionId,
                ["rate_limit_info"] = new JsonObject
                {
                    ["status"] = status, ["rateLimitType"] = step["window"]?.GetValue<string>() ?? "five_hour",
                    ["resetsAt"] = DateTimeOffset.UtcNow.AddSeconds(step["resetsIn"]?.GetValue<int>() ?? 3600).ToUnixTimeSeconds(),
                },
            });
            if (status == "rejected")
            {
                Emit(new JsonObject
                {
                    ["type"] = "result", ["subtype"] = "success", ["is_error"] = true, ["num_turns"] = turns, ["session_id"] = sessionId,
                    ["result"] = "You've hit your limit", ["total_cost_usd"] = 0,
                });
                Flush();
                return 1;
            }
        }
        else if (step["stderr"] is { } error)
        {
            Flush();
            Console.Error.WriteLine(error.GetValue<string>());
            Console.Error.Flush();
        }
        else if (step["spawn"] is JsonArray spawn)
        {
            var start = new ProcessStartInfo(spawn[0]!.GetValue<string>()) { UseShellExecute = false };
            foreach (var argument in spawn.Skip(1))
            {
                start.ArgumentList.Add(argument!.GetValue<string>());
            }

            var child = Process.Start(start)!;
            Say($"spawned pid {child.Id}");
        }
        else if (step["touch"] is { } touch)
        {
            Flush();
            File.WriteAllText(touch.GetValue<string>(), sessionId);
        }
        else if (step["waitFor"] is { } waitFor)
        {
            Flush();
            while (!File.Exists(waitFor.GetValue<string>()) && !Interrupted())
            {
                Thread.Sleep(20);
            }
        }
        else if (step["saveEnv"] is { } saveEnv)
        {
            File.WriteAllText(step["to"]!.GetValue<string>(), Environment.GetEnvironmentVariable(saveEnv.GetValue<string>()) ?? "");
        }
        else if (step["lock"] is { } lockPath)
        {
            try
            {
                heldLock = new FileStream(lockPath.GetValue<string>(), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException)
            {
                File.AppendAllText(step["overlap"]!.GetValue<string>(), $"{DateTimeOffset.UtcNow:O} session {Environment.GetEnvironmentVariable("KONDUKTOR_SESSION")} found {lockPath.GetValue<string>()} held by another agent\n");
            }
        }
        else if (step["onStop"] is { } onStop)
        {
            var (file, line) = (onStop.GetValue<string>(), step["text"]?.GetValue<string>() ?? sessionId);
            var stopping = 0;
            stopRegistration = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, _ =>
            {
                if (Interlocked.Exchange(ref stopping, 1) == 0)
                {
                    File.AppendAllText(file, line + "\n");
                    Environment.Exit(143);
                }
            });
        }
        else if (step["append"] is { } append)
        {
            File.AppendAllText(append.GetValue<string>(), (step["text"]?.GetValue<string>() ?? sessionId) + "\n");
        }
        else if (step["echoPrompt"] is not null)
        {
            Say($"PROMPT: {prompt}\nRESUME: {resume ?? "-"}");
        }
        else if (step["env"] is JsonArray names)
        {
            Say(string.Join('\n', names.Select(n => $"{n!.GetValue<string>()}={Environment.GetEnvironmentVariable(n.GetValue<string>())}")));
        }
        else if (step["sh"] is { } shell)
        {
            var (code, output) = Run("/bin/sh", ["-c", shell.GetValue<string>()]);
            Tool("Bash", new JsonObject { ["command"] = shell.GetValue<string>() }, $"exit {code}\n{output}", code != 0);
        }
        else if (step["konduktor"] is JsonArray arguments)
        {
            var (code, output) = Run("konduktor", arguments.Select(a => Environment.ExpandEnvironmentVariables(a!.GetValue<string>())).ToArray());
            Tool("Bash", new JsonObject { ["command"] = "konduktor " + string.Join(' ', arguments) }, $"exit {code}\n{output}", code != 0);
        }
        else if (step["deny"] is { } deny)
        {
            var id = "toolu_" + Guid.NewGuid().ToString("N")[..20];
            var input = new JsonObject { ["command"] = step["command"]?.GetValue<string>() ?? "" };
            var refusal = $"Permission to use {deny.GetValue<string>()} has been denied.";
            Emit(new JsonObject
            {
                ["type"] = "assistant", ["session_id"] = sessionId,
                ["message"] = new JsonObject { ["role"] = "assistant", ["content"] = new JsonArray(new JsonObject { ["type"] = "tool_use", ["id"] = id, ["name"] = deny.GetValue<string>(), ["input"] = input.DeepClone() }) },
            });
            Emit(new JsonObject { ["type"] = "system", ["subtype"] = "permission_denied", ["tool_name"] = deny.GetValue<string>(), ["tool_use_id"] = id, ["message"] = refusal, ["session_id"] = sessionId });
            Emit(new JsonObject
            {
                ["type"] = "user", ["session_id"] = sessionId,
                ["message"] = new JsonObject { ["role"] = "user", ["content"] = new JsonArray(new JsonObject { ["type"] = "tool_result", ["tool_use_id"] = id, ["content"] = refusal, ["is_error"] = true }) },
            });
            denials.Add(new JsonObject { ["tool_name"] = deny.GetValue<string>(), ["tool_use_id"] = id, ["tool_input"] = input });
        }
        else if (step["result"] is { } result)
        {
            Result(result.GetValue<string>(), step["isError"]?.GetValue<bool>() ?? false, step["cost"]?.GetValue<decimal>() ?? 0.0123m,
                step["turns"]?.GetValue<int>() ?? turns, step["inputTokens"]?.GetValue<long>() ?? 1200, step["outputTokens"]?.GetValue<long>() ?? 340);
        }
        else if (step["exit"] is { } exit)
        {
            Flush();
            return exit.GetValue<int>();
        }
    }

    return null;
}

bool Interrupted() => Volatile.Read(ref interrupted) == 1;

// How a turn ends: interrupted (as Claude Code says it), or with the script's result, else a success.
void EndTurn()
{
    if (Interlocked.Exchange(ref interrupted, 0) == 1)
    {
        Emit(new JsonObject
        {
            ["type"] = "user", ["session_id"] = sessionId,
            ["message"] = new JsonObject { ["role"] = "user", ["content"] = new JsonArray(new JsonObject { ["type"] = "text", ["text"] = "[Request interrupted by user]" }) },
        });
        Emit(new JsonObject
        {
            ["type"] = "result", ["subtype"] = "error_during_execution", ["is_error"] = true, ["num_turns"] = turns, ["session_id"] = sessionId,
            ["total_cost_usd"] = earlierCost + spent, ["errors"] = new JsonArray(),
        });
    }
    else if (!resultSent)
    {
        Result("success", false, 0.0123m, turns, 1200, 340);
    }

    resultSent = false;
    Volatile.Write(ref turnRunning, 0);
}

void State(string state)
{
    if (sayStates && streamInput)
    {
        Emit(new JsonObject { ["type"] = "system", ["subtype"] = "session_state_changed", ["state"] = state, ["session_id"] = sessionId });
    }
}

// Stdin after the first message: user messages queue as turns; an interrupt ends the turn in flight (none while idle).
void ReadStdin()
{
    while (Console.In.ReadLine() is { } line)
    {
        if (line.Trim().Length == 0)
        {
            continue;
        }

        var json = JsonNode.Parse(line)!;
        if ((string?)json["type"] == "control_request")
        {
            if ((string?)json["request"]?["subtype"] == "interrupt" && Volatile.Read(ref turnRunning) == 1)
            {
                Volatile.Write(ref interrupted, 1);
            }

            Emit(new JsonObject
            {
                ["type"] = "control_response",
                ["response"] = new JsonObject { ["subtype"] = "success", ["request_id"] = (string?)json["request_id"], ["response"] = new JsonObject() },
            });
            Flush();
        }
        else
        {
            inbox.Add(line);
        }
    }

    inbox.CompleteAdding();
}

// The text of a stream-json user message (its text blocks, one after another).
static string UserText(string line)
{
    var content = JsonNode.Parse(line)?["message"]?["content"];
    return content is JsonArray blocks
        ? string.Join("\n\n", blocks.Select(b => (string?)b?["text"]).Where(t => t is not null))
        : (string?)content ?? "";
}

string? Arg(string name)
{
    var index = Array.IndexOf(args, name);
    return index >= 0 && index + 1 < args.Length ? args[index + 1] : null;
}

IEnumerable<JsonNode> Script(string text) =>
    ScriptIn(text)
    ?? JsonNode.Parse(Environment.GetEnvironmentVariable("STANDIN_SCRIPT") is { Length: > 0 } file ? File.ReadAllText(file)
        : """[{"say": "Nothing to do: no script was given."}]""")!.AsArray().Select(step => step!);

// The script a message carries, in a ```standin block, if it does.
static IEnumerable<JsonNode>? ScriptIn(string text)
{
    var match = Regex.Match(text, "```standin\\s*\\n(.*?)\\n\\s*```", RegexOptions.Singleline);
    return match.Success ? JsonNode.Parse(match.Groups[1].Value)!.AsArray().Select(step => step!) : null;
}

void Emit(JsonObject json)
{
    var line = json.ToJsonString();
    lock (emitting)
    {
        stdout.WriteLine(line);
        transcriptWriter.WriteLine(line);
    }
}

void Flush()
{
    lock (emitting)
    {
        stdout.Flush();
        transcriptWriter.Flush();
    }
}

void Say(string text)
{
    turns++;
    Emit(new JsonObject
    {
        ["type"] = "assistant", ["session_id"] = sessionId, ["parent_tool_use_id"] = null,
        ["message"] = new JsonObject
        {
            ["id"] = "msg_" + Guid.NewGuid().ToString("N")[..20], ["type"] = "message", ["role"] = "assistant", ["model"] = "stand-in",
            ["content"] = new JsonArray(new JsonObject { ["type"] = "text", ["text"] = text }),
            ["stop_reason"] = null, ["usage"] = new JsonObject { ["input_tokens"] = 10, ["output_tokens"] = 5 },
        },
    });
}

void Tool(string name, JsonNode input, string output, bool isError)
{
    turns++;
    var id = "toolu_" + Guid.NewGuid().ToString("N")[..20];
    Emit(new JsonObject
    {
        ["type"] = "assistant", ["session_id"] = sessionId, ["parent_tool_use_id"] = null,
        ["message"] = new JsonObject
        {
            ["id"] = "msg_" + Guid.NewGuid().ToString("N")[..20], ["type"] = "message", ["role"] = "assistant", ["model"] = "stand-in",
            ["content"] = new JsonArray(new JsonObject { ["type"] = "tool_use", ["id"] = id, ["name"] = name, ["input"] = input }),
        },
    });
    Emit(new JsonObject
    {
        ["type"] = "user", ["session_id"] = sessionId, ["parent_tool_use_id"] = null,
        ["message"] = new JsonObject
        {
            ["role"] = "user",
            ["content"] = new JsonArray(new JsonObject { ["tool_use_id"] = id, ["type"] = "tool_result", ["content"] = output, ["is_error"] = isError }),
        },
    });
}

void Result(string subtype, bool isError, decimal cost, int numTurns, long inputTokens, long outputTokens)
{
    resultSent = true;
    var result = new JsonObject
    {
        ["type"] = "result", ["subtype"] = subtype, ["is_error"] = isError, ["duration_ms"] = started.ElapsedMilliseconds,
        ["duration_api_ms"] = started.ElapsedMilliseconds, ["num_turns"] = numTurns,
        ["session_id"] = sessionId, ["total_cost_usd"] = earlierCost + (spent += cost),
        ["usage"] = new JsonObject { ["input_tokens"] = inputTokens, ["cache_creation_input_tokens"] = 0, ["cache_read_input_tokens"] = 0, ["output_tokens"] = outputTokens },
        ["model_usage_since_last_result"] = new JsonObject { ["stand-in"] = new JsonObject { ["inputTokens"] = inputTokens, ["outputTokens"] = outputTokens, ["costUSD"] = cost } },
        ["permission_denials"] = denials.DeepClone(),
    };
    // Like Claude Code: error results carry `errors` and no `result` text.
    if (subtype == "success")
    {
        result["result"] = isError ? "It did not work out." : "Done.";
    }
    else
    {
        result["errors"] = new JsonArray($"the stand-in ended with {subtype}");
    }

    Emit(result);
}

static (int Code, string Output) Run(string file, string[] arguments)
{
    var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
    foreach (var argument in arguments)
    {
        start.ArgumentList.Add(argument);
    }

    using var process = Process.Start(start)!;
    var output = process.StandardOutput.ReadToEndAsync();
    var error = process.StandardError.ReadToEndAsync();
    process.WaitForExit();
    return (process.ExitCode, (output.Result + error.Result).Trim());
}

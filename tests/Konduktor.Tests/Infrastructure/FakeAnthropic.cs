using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Konduktor.Tests.Infrastructure;

/// <summary>
/// A small fake of Anthropic's Messages API that drives the real Claude Code CLI offline. It keeps no conversation state:
/// the script travels in the conversation itself, as a <c>```claude-fake</c> block in a user message (a task's
/// description, a resume message). Each reply is the next step after the assistant messages that follow the latest
/// scripted user message, so a run, a resume on any runner and a retry all read the same script the same way.
/// Steps (one assistant reply each):
///   {"text": "..."}                          a text reply that ends the turn
///   {"bash": "command"}                      a Bash tool call (text too, when given); Claude Code runs it and asks again
///   {"tool": "Name", "input": {...}}         any other tool call (Write, Read, Edit…); "%cwd%" in a string of the input is
///                                            the agent's working directory, as Claude Code tells the model
///   {"waitFor": "path", ...}                 hold this step's reply until the file exists (the agent is "thinking")
///   {"status": 429, "errorType": "rate_limit_error", "message": "...", "headers": {"name": "value"}}   an error reply
///   {"usage": {"input": 1000, "output": 200}}   tokens the reply reports (cost follows from them); default 100 / 20
/// Requests without tools (Claude Code's side calls) get a short text reply and leave the script alone.
/// </summary>
public sealed partial class FakeAnthropic : IAsyncDisposable
{
    public const string ApiKey = "sk-ant-fake-key-for-tests";
    private readonly WebApplication _app;

    private FakeAnthropic(WebApplication app, string url)
    {
        _app = app;
        Url = url;
    }

    public string Url { get; }

    /// <summary>Every request's JSON body, in arrival order.</summary>
    public ConcurrentQueue<JsonObject> Requests { get; } = new();

    /// <summary>When each scripted request arrived, and whether the usage limit refused it.</summary>
    public ConcurrentQueue<(DateTimeOffset At, JsonObject Body, bool Refused)> Arrivals { get; } = new();

    private (DateTimeOffset Until, string Window)? _usageLimit;

    /// <summary>
    /// The account is at its usage limit until then, as Anthropic says it to a subscription: every scripted request is
    /// answered 429 with the <c>anthropic-ratelimit-unified-*</c> headers naming the window and its reset.
    /// </summary>
    public void LimitUsageUntil(DateTimeOffset until, string window = "five_hour") => _usageLimit = (until, window);

    /// <summary>A task description (or resume message) carrying a script for this fake.</summary>
    public static string Script(params object[] steps) => $"```claude-fake\n{JsonSerializer.Serialize(steps)}\n```\n";

    /// <summary>Every scripted request whose messages contain this text.</summary>
    public IReadOnlyList<JsonObject> RequestsContaining(string text) =>
        Requests.Where(r => r["tools"] is JsonArray && r["messages"]!.ToJsonString().Contains(text, StringComparison.Ordinal)).ToList();

    public static async Task<FakeAnthropic> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        FakeAnthropic? self = null;
        app.MapPost("/v1/messages", async (HttpContext http) =>
        {
            var request = JsonNode.Parse(await new StreamReader(http.Request.Body).ReadToEndAsync())!.AsObject();
            self!.Requests.Enqueue(request);
            var now = DateTimeOffset.UtcNow;
            var limited = request["tools"] is JsonArray && self._usageLimit is { } limit && now < limit.Until;
            if (request["tools"] is JsonArray)
            {
                self.Arrivals.Enqueue((now, request, limited));
            }

            if (limited && self._usageLimit is { } wall)
            {
                http.Response.Headers["anthropic-ratelimit-unified-status"] = "rejected";
                http.Response.Headers["anthropic-ratelimit-unified-reset"] = wall.Until.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture);
                http.Response.Headers["anthropic-ratelimit-unified-representative-claim"] = wall.Window;
                http.Response.StatusCode = 429;
                await http.Response.WriteAsJsonAsync(new { type = "error", error = new { type = "rate_limit_error", message = "usage limit reached" } });
                return;
            }

            await ReplyAsync(http, request);
        });
        app.MapPost("/v1/messages/count_tokens", () => Results.Json(new { input_tokens = 100 }));
        await app.StartAsync();
        self = new FakeAnthropic(app, app.Urls.First());
        return self;
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();

    private static async Task ReplyAsync(HttpContext http, JsonObject request)
    {
        var model = request["model"]?.GetValue<string>() ?? "claude-fake";
        var step = request["tools"] is JsonArray ? NextStep(request) : null;
        if (step?["waitFor"] is { } waitFor)
        {
            while (!File.Exists(waitFor.GetValue<string>()) && !http.RequestAborted.IsCancellationRequested)
            {
                await Task.Delay(20, CancellationToken.None);
            }
        }

        if (step?["status"] is { } status)
        {
            foreach (var (name, value) in step["headers"]?.AsObject() ?? [])
            {
                http.Response.Headers[name] = value!.GetValue<string>();
            }

            http.Response.StatusCode = status.GetValue<int>();
            await http.Response.WriteAsJsonAsync(new
            {
                type = "error",
                error = new { type = step["errorType"]?.GetValue<string>() ?? "api_error", message = step["message"]?.GetValue<string>() ?? "scripted error" },
            });
            return;
        }

        var blocks = new List<JsonObject>();
        if (step is null)
        {
            blocks.Add(new JsonObject { ["type"] = "text", ["text"] = request["tools"] is JsonArray ? "(the script has ended)" : "ok" });
        }
        else
        {
            if (step["text"] is { } text)
            {
                blocks.Add(new JsonObject { ["type"] = "text", ["text"] = text.GetValue<string>() });
            }

            if (step["bash"] is { } bash)
            {
                blocks.Add(ToolUse("Bash", new JsonObject { ["command"] = bash.GetValue<string>(), ["description"] = "scripted command" }));
            }
            else if (step["tool"] is { } tool)
            {
                var toolInput = JsonNode.Parse((step["input"] ?? new JsonObject()).ToJsonString().Replace("%cwd%", WorkingDirectory(request), StringComparison.Ordinal))!;
                blocks.Add(ToolUse(tool.GetValue<string>(), toolInput));
            }
        }

        if (blocks.Count == 0)
        {
            // Claude Code answers an empty reply with a synthetic "no visible output" message: never send one.
            blocks.Add(new JsonObject { ["type"] = "text", ["text"] = "…" });
        }

        var usage = step?["usage"];
        var input = usage?["input"]?.GetValue<int>() ?? 100;
        var output = usage?["output"]?.GetValue<int>() ?? 20;
        var stop = blocks.Any(b => (string?)b["type"] == "tool_use") ? "tool_use" : "end_turn";
        if (request["stream"]?.GetValue<bool>() != true)
        {
            await http.Response.WriteAsJsonAsync(new JsonObject
            {
                ["id"] = "msg_" + Guid.NewGuid().ToString("N")[..24], ["type"] = "message", ["role"] = "assistant", ["model"] = model,
                ["content"] = new JsonArray([.. blocks]), ["stop_reason"] = stop, ["stop_sequence"] = null,
                ["usage"] = new JsonObject { ["input_tokens"] = input, ["output_tokens"] = output },
            });
            return;
        }

        var sse = new StringBuilder();
        void Event(string name, JsonObject data) => sse.Append("event: ").Append(name).Append("\ndata: ").Append(data.ToJsonString()).Append("\n\n");
        Event("message_start", new JsonObject
        {
            ["type"] = "message_start",
            ["message"] = new JsonObject
            {
                ["id"] = "msg_" + Guid.NewGuid().ToString("N")[..24], ["type"] = "message", ["role"] = "assistant", ["model"] = model, ["content"] = new JsonArray(),
                ["stop_reason"] = null, ["stop_sequence"] = null,
                ["usage"] = new JsonObject { ["input_tokens"] = input, ["output_tokens"] = 1, ["cache_creation_input_tokens"] = 0, ["cache_read_input_tokens"] = 0 },
            },
        });
        for (var index = 0; index < blocks.Count; index++)
        {
            var block = blocks[index];
            if ((string?)block["type"] == "text")
            {
                Event("content_block_start", new JsonObject { ["type"] = "content_block_start", ["index"] = index, ["content_block"] = new JsonObject { ["type"] = "text", ["text"] = "" } });
                Event("content_block_delta", new JsonObject { ["type"] = "content_block_delta", ["index"] = index, ["delta"] = new JsonObject { ["type"] = "text_delta", ["text"] = block["text"]!.DeepClone() } });
            }
            else
            {
                Event("content_block_start", new JsonObject
                {
                    ["type"] = "content_block_start", ["index"] = index,
                    ["content_block"] = new JsonObject { ["type"] = "tool_use", ["id"] = block["id"]!.DeepClone(), ["name"] = block["name"]!.DeepClone(), ["input"] = new JsonObject() },
                });
                Event("content_block_delta", new JsonObject { ["type"] = "content_block_delta", ["index"] = index, ["delta"] = new JsonObject { ["type"] = "input_json_delta", ["partial_json"] = block["input"]!.ToJsonString() } });
            }

            Event("content_block_stop", new JsonObject { ["type"] = "content_block_stop", ["index"] = index });
        }

        Event("message_delta", new JsonObject { ["type"] = "message_delta", ["delta"] = new JsonObject { ["stop_reason"] = stop, ["stop_sequence"] = null }, ["usage"] = new JsonObject { ["output_tokens"] = output } });
        Event("message_stop", new JsonObject { ["type"] = "message_stop" });
        http.Response.ContentType = "text/event-stream";
        await http.Response.WriteAsync(sse.ToString());
    }

    private static JsonObject ToolUse(string name, JsonNode input) => new()
    {
        ["type"] = "tool_use", ["id"] = "toolu_" + Guid.NewGuid().ToString("N")[..24], ["name"] = name, ["input"] = input,
    };

    /// <summary>The step after the assistant replies that follow the latest scripted user message; null once the script has ended.</summary>
    private static JsonNode? NextStep(JsonObject request)
    {
        var messages = request["messages"]!.AsArray();
        for (var i = messages.Count - 1; i >= 0; i--)
        {
            if ((string?)messages[i]!["role"] != "user" || ScriptBlock().Match(TextOf(messages[i]!["content"])) is not { Success: true } match)
            {
                continue;
            }

            var steps = JsonNode.Parse(match.Groups[1].Value)!.AsArray();
            var replies = messages.Skip(i + 1).Count(m => (string?)m!["role"] == "assistant");
            return replies < steps.Count ? steps[replies] : null;
        }

        return null;
    }

    /// <summary>The agent's working directory, as Claude Code tells the model ("Primary working directory: …").</summary>
    private static string WorkingDirectory(JsonObject request) =>
        WorkingDirectoryLine().Match(request.ToJsonString()) is { Success: true } match ? match.Groups[1].Value : "";

    [GeneratedRegex(@"Primary working directory: ([^\\""\s]+)")]
    private static partial Regex WorkingDirectoryLine();

    private static string TextOf(JsonNode? content) => content switch
    {
        JsonValue value => value.GetValue<string>(),
        JsonArray blocks => string.Join('\n', blocks.Select(b => b?["text"]?.GetValue<string>()).Where(t => t is not null)),
        _ => "",
    };

    [GeneratedRegex("```claude-fake\n(.*?)\n```", RegexOptions.Singleline)]
    private static partial Regex ScriptBlock();
}

/// <summary>The real Claude Code CLI (npm <c>@anthropic-ai/claude-code</c>, pinned in the repository's package.json), pointed at a fake API.</summary>
public static class RealClaude
{
    public static readonly string Executable = Path.Combine(KonduktorCli.RepositoryRoot, "node_modules", ".bin", "claude");

    /// <summary>The environment a runner (and so its agents) needs to reach the fake API and nothing else.</summary>
    public static Dictionary<string, string> Environment(FakeAnthropic api) => new()
    {
        ["ANTHROPIC_BASE_URL"] = api.Url,
        ["ANTHROPIC_API_KEY"] = FakeAnthropic.ApiKey,
        ["CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC"] = "1",
        ["DISABLE_AUTOUPDATER"] = "1",
    };
}

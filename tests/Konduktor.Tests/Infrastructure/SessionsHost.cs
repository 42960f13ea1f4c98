using System.Net.Http.Json;
using System.Text.Json;
using Konduktor.Core.Json;
using Konduktor.Core.Sessions;
using Konduktor.Core.Tasks;

namespace Konduktor.Tests.Infrastructure;

/// <summary>
/// One <c>konduktor up</c> (shared Azurite, its own prefix) whose local runner starts the stand-in agent; each test
/// makes its own workspace over its own bare remote, so tests share the host but nothing else.
/// </summary>
public sealed class SessionsHost(AzuriteFixture azurite) : IAsyncLifetime
{
    public static readonly JsonSerializerOptions Json = new(KonduktorJson.Options) { UnmappedMemberHandling = System.Text.Json.Serialization.JsonUnmappedMemberHandling.Skip };

    public string Prefix { get; } = AzuriteFixture.NewPrefix();

    public KonduktorUp Up { get; private set; } = null!;

    public async ValueTask InitializeAsync() => Up = await KonduktorUp.StartAsync(storage: azurite.ConnectionString, prefix: Prefix);

    public ValueTask DisposeAsync() => Up.DisposeAsync();
}

/// <summary>What session tests do over and over, against any running <c>up</c>.</summary>
public sealed class SessionDriver(KonduktorUp up)
{
    public KonduktorUp Up => up;

    public async Task<(string Workspace, GitRemote Remote)> CreateWorkspaceAsync()
    {
        var remote = await GitRemote.CreateAsync();
        var name = "ws" + Guid.NewGuid().ToString("N")[..10];
        var created = await up.CliAsync("workspaces", "create", remote.Path, "--name", name);
        Assert.True(created.ExitCode == 0, created.ToString());
        return (name, remote);
    }

    public async Task<TaskItem> CreateTaskAsync(string workspace, string title, string description)
    {
        using var http = up.Http();
        var response = await http.PostAsJsonAsync($"api/workspaces/{workspace}/tasks", new NewTask { Title = title, Description = description }, SessionsHost.Json);
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<TaskItem>(SessionsHost.Json))!;
    }

    /// <summary>Runs the task through the CLI, as a person would, and returns the queued session.</summary>
    public async Task<Session> RunAsync(string workspace, TaskItem task)
    {
        var run = await up.CliAsync("-w", workspace, "tasks", "run", task.ShortId, "--json");
        Assert.True(run.ExitCode == 0, run.ToString());
        return JsonSerializer.Deserialize<Session>(run.Output, SessionsHost.Json)!;
    }

    /// <summary>Resumes the task through the CLI with a message (the stand-in's next script) and returns the queued session.</summary>
    public async Task<Session> ResumeAsync(string workspace, TaskItem task, string message)
    {
        var resumed = await up.CliAsync("-w", workspace, "--json", "tasks", "resume", task.ShortId, "--message", message);
        Assert.True(resumed.ExitCode == 0, resumed.ToString());
        return JsonSerializer.Deserialize<Session>(resumed.Output, SessionsHost.Json)!;
    }

    public async Task<Session> GetSessionAsync(string workspace, Guid sessionId)
    {
        using var http = up.Http();
        return (await http.GetFromJsonAsync<Session>($"api/workspaces/{workspace}/sessions/{sessionId}", SessionsHost.Json))!;
    }

    public Task<Session> WaitForEndAsync(string workspace, Guid sessionId, TimeSpan? timeout = null) =>
        Eventually.WaitAsync(async () => await GetSessionAsync(workspace, sessionId) is { IsActive: false } ended ? ended : null, $"session {sessionId} to end", timeout);

    public async Task<TaskItem> GetTaskAsync(string workspace, Guid taskId)
    {
        using var http = up.Http();
        return (await http.GetFromJsonAsync<TaskItem>($"api/workspaces/{workspace}/tasks/{taskId}", SessionsHost.Json))!;
    }

    /// <summary>Everything people said to the task's agents, oldest first, with when each was delivered.</summary>
    public async Task<List<SessionMessage>> MessagesAsync(string workspace, string task)
    {
        using var http = up.Http();
        return (await http.GetFromJsonAsync<List<SessionMessage>>($"api/workspaces/{workspace}/tasks/{task}/messages", SessionsHost.Json))!;
    }

    /// <summary>Every log event of a session, read page by page from the start.</summary>
    public async Task<List<LogEvent>> LogsAsync(string workspace, Guid sessionId)
    {
        using var http = up.Http();
        var events = new List<LogEvent>();
        long after = 0;
        while (true)
        {
            var page = (await http.GetFromJsonAsync<LogPage>($"api/workspaces/{workspace}/sessions/{sessionId}/logs?after={after}&limit=5000", SessionsHost.Json))!;
            events.AddRange(page.Events);
            if (page.Events.Count == 0)
            {
                return events;
            }

            after = page.Next;
        }
    }

    /// <summary>The agent's pid, from the runner's "agent started (pid N)" log event.</summary>
    public async Task<int> AgentPidAsync(string workspace, Guid sessionId)
    {
        const string marker = "agent started (pid ";
        var started = (await LogsAsync(workspace, sessionId)).Single(e => e.Stream == "konduktor" && e.Text.StartsWith(marker, StringComparison.Ordinal));
        return int.Parse(started.Text[marker.Length..].Split(')')[0], System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// A running session of the stand-in agent that saved its own token and waits: the token an agent holds, for tests
    /// that act as the agent. Disposing it lets the agent finish.
    /// </summary>
    public async Task<HeldSession> HoldSessionTokenAsync(string workspace)
    {
        var tokenFile = Signal("token");
        var release = Signal("release");
        var holder = await CreateTaskAsync(workspace, "Holds a session token", StandInAgent.Script(new { saveEnv = "KONDUKTOR_TOKEN", to = tokenFile }, new { waitFor = release }));
        await RunAsync(workspace, holder);
        await Eventually.WaitAsync(() => File.Exists(tokenFile) && new FileInfo(tokenFile).Length > 0, "the agent to save its token");
        return new HeldSession((await File.ReadAllTextAsync(tokenFile)).Trim(), release);
    }

    public static string Signal(string name) => Path.Combine(SharedWithAgents.NewFolder("signal"), name);
}

/// <summary>An agent's session token, held while its agent waits for <see cref="DisposeAsync"/>.</summary>
public sealed record HeldSession(string Token, string Release) : IAsyncDisposable
{
    public async ValueTask DisposeAsync() => await File.WriteAllTextAsync(Release, "go");
}

/// <summary>
/// The one folder the tests' runners share with their agents (<c>--share</c>), for files a test and a scripted agent
/// pass each other (signals, counters, what an agent saw); everything else of this machine stays out of the agents' reach.
/// </summary>
public static class SharedWithAgents
{
    public static readonly string Root = Directory.CreateTempSubdirectory("konduktor-shared-").FullName;

    /// <summary>A new folder inside the shared one.</summary>
    public static string NewFolder(string purpose) => Directory.CreateDirectory(Path.Combine(Root, $"{purpose}-{Guid.NewGuid():N}")).FullName;
}

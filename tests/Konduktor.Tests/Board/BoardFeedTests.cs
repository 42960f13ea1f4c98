using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Konduktor.Core.Tasks;
using Konduktor.Tests.Infrastructure;

namespace Konduktor.Tests.Board;

/// <summary>The workspace's change feed: a board long-polls it and is told of a change at once, and of nothing else.</summary>
public sealed class BoardFeedTests(SessionsHost host) : IClassFixture<SessionsHost>
{
    private readonly SessionDriver _driver = new(host.Up);

    [Fact]
    public async Task A_waiting_board_is_told_at_once_of_a_task_change_in_its_workspace_and_not_of_another_workspaces()
    {
        var (workspace, _) = await _driver.CreateWorkspaceAsync();
        var (other, _) = await _driver.CreateWorkspaceAsync();
        var task = await _driver.CreateTaskAsync(workspace, "Watched", "plain");
        var elsewhere = await _driver.CreateTaskAsync(other, "Elsewhere", "plain");
        using var http = host.Up.Http();
        var first = (await http.GetFromJsonAsync<BoardCursor>($"api/workspaces/{workspace}/board/changes?wait=0", SessionsHost.Json))!;
        Assert.True(first.Changed); // no cursor yet: read the board

        var waiting = http.GetFromJsonAsync<BoardCursor>($"api/workspaces/{workspace}/board/changes?wait=50&cursor={Uri.EscapeDataString(first.Cursor)}", SessionsHost.Json);
        Assert.Equal(0, (await host.Up.CliAsync("-w", other, "tasks", "update", elsewhere.ShortId, "--title", "Elsewhere, renamed")).ExitCode);
        Assert.False(waiting.IsCompleted, "a change in another workspace woke this board");
        Assert.Equal(0, (await host.Up.CliAsync("-w", workspace, "tasks", "move", task.ShortId, "Done")).ExitCode);
        var answer = (await waiting.WaitAsync(TimeSpan.FromSeconds(10)))!;

        Assert.True(answer.Changed);
        Assert.NotEqual(first.Cursor, answer.Cursor);
        var unchanged = (await http.GetFromJsonAsync<BoardCursor>($"api/workspaces/{workspace}/board/changes?wait=0&cursor={Uri.EscapeDataString(answer.Cursor)}", SessionsHost.Json))!;
        Assert.False(unchanged.Changed);
        Assert.Equal(answer.Cursor, unchanged.Cursor);
        var tooLong = await http.GetAsync($"api/workspaces/{workspace}/board/changes?wait=600");
        Assert.Equal(HttpStatusCode.BadRequest, tooLong.StatusCode);
        Assert.Equal("application/problem+json", tooLong.Content.Headers.ContentType?.MediaType);
        Assert.Contains("wait is 0 to 50 seconds", (await tooLong.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString(), StringComparison.Ordinal);
    }
}

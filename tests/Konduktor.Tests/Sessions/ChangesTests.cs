using System.Net;
using System.Net.Http.Json;
using Konduktor.Core.Changes;
using Konduktor.Core.Sessions;
using Konduktor.Tests.Infrastructure;

namespace Konduktor.Tests.Sessions;

/// <summary>What the agent changed, kept by the runner after each session and shown without GitHub: the API and <c>tasks diff</c>.</summary>
public sealed class ChangesTests(SessionsHost host) : IClassFixture<SessionsHost>
{
    private readonly SessionDriver _driver = new(host.Up);

    [Fact]
    public async Task After_a_session_the_task_shows_its_files_commits_with_trailers_and_diff_against_the_base()
    {
        var (workspace, remote) = await _driver.CreateWorkspaceAsync();
        await remote.CommitAsync("A doc to move", ("docs/old.md", "# Notes\n\nKeep these.\n"), ("logo.bin", "\0\u0001"));
        var task = await _driver.CreateTaskAsync(workspace, "Add the app", StandInAgent.Script(
            new { write = "src/app.py", content = "def main():\n    print('hello')\n" },
            new { commit = "Add the app" },
            new { sh = "git mv docs/old.md docs/new.md && printf '\\000\\003' > logo.bin && git commit -qam 'Move the doc' -m 'Co-authored-by: Reviewer <reviewer@example.com>'" }));

        var session = await _driver.WaitForEndAsync(workspace, (await _driver.RunAsync(workspace, task)).Id);
        Assert.True(session.Status == SessionStatus.Succeeded, $"{session.Status}: {session.Error}");
        var logs = await _driver.LogsAsync(workspace, session.Id);
        Assert.True(logs.Any(e => e.Text.StartsWith("kept the branch's changes against main: 3 file(s), +2 -0, 2 commit(s)", StringComparison.Ordinal)),
            string.Join('\n', logs.Where(e => e.Stream == "konduktor").Select(e => e.Text)));
        using var http = host.Up.Http();
        var changes = (await http.GetFromJsonAsync<ChangeSet>($"api/workspaces/{workspace}/tasks/{task.ShortId}/changes", SessionsHost.Json))!;
        var stat = await host.Up.CliAsync("-w", workspace, "tasks", "diff", task.ShortId, "--stat");
        var diff = await host.Up.CliAsync("-w", workspace, "tasks", "diff", task.ShortId);

        Assert.Equal(session.Branch, changes.Branch);
        Assert.Equal("main", changes.Base);
        Assert.Equal(session.Id, changes.SessionId);
        Assert.Equal((await remote.GitAsync("rev-parse", session.Branch!)).Trim(), changes.HeadCommit);
        Assert.Equal((await remote.GitAsync("rev-parse", "main")).Trim(), changes.BaseCommit);
        var app = Assert.Single(changes.Files, f => f.Path == "src/app.py");
        Assert.Equal((2, 0), (app.Added, app.Removed));
        Assert.Contains(changes.Files, f => f is { Path: "docs/new.md", OldPath: "docs/old.md", Added: 0, Removed: 0 });
        Assert.Contains(changes.Files, f => f is { Path: "logo.bin", Added: null });
        Assert.Equal(["Add the app", "Move the doc"], changes.Commits.Select(c => c.Subject));
        Assert.Contains("Co-authored-by: Reviewer <reviewer@example.com>", changes.Commits[1].Trailers);
        Assert.Contains("+    print('hello')", changes.Diff, StringComparison.Ordinal);
        Assert.False(changes.Truncated);
        Assert.True(stat.ExitCode == 0, stat.ToString());
        Assert.Contains("docs/old.md => docs/new.md", stat.Output, StringComparison.Ordinal);
        Assert.Contains("3 file(s) changed, 2 insertion(s)(+), 0 deletion(s)(-)", stat.Output, StringComparison.Ordinal);
        Assert.Contains("Co-authored-by: Reviewer", stat.Output, StringComparison.Ordinal);
        Assert.True(diff.ExitCode == 0, diff.ToString());
        Assert.StartsWith("diff --git", diff.Output, StringComparison.Ordinal);
        Assert.Contains("rename to docs/new.md", diff.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_diff_too_long_to_keep_is_cut_with_a_note_and_a_task_not_run_yet_says_so()
    {
        var (workspace, _) = await _driver.CreateWorkspaceAsync();
        var task = await _driver.CreateTaskAsync(workspace, "Writes a lot", StandInAgent.Script(
            new { sh = "head -c 1500000 /dev/zero | tr '\\0' 'a' | fold -w 99 > big.txt && git add big.txt && git commit -qm 'A big file'" }));
        var never = await _driver.CreateTaskAsync(workspace, "Never run", "plain");

        var session = await _driver.WaitForEndAsync(workspace, (await _driver.RunAsync(workspace, task)).Id);
        Assert.True(session.Status == SessionStatus.Succeeded, $"{session.Status}: {session.Error}");
        using var http = host.Up.Http();
        var changes = (await http.GetFromJsonAsync<ChangeSet>($"api/workspaces/{workspace}/tasks/{task.ShortId}/changes", SessionsHost.Json))!;
        var diff = await host.Up.CliAsync("-w", workspace, "tasks", "diff", task.ShortId);
        var none = await http.GetAsync($"api/workspaces/{workspace}/tasks/{never.ShortId}/changes");
        var noneCli = await host.Up.CliAsync("-w", workspace, "tasks", "diff", never.ShortId);

        Assert.True(changes.Truncated);
        Assert.Equal(ChangeSetRules.MaxDiffChars, changes.Diff.Length);
        Assert.Equal(15_152, Assert.Single(changes.Files).Added);
        Assert.Contains("» the diff is cut at 1,000,000 characters", diff.Output, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, none.StatusCode);
        Assert.Equal("application/problem+json", none.Content.Headers.ContentType?.MediaType);
        Assert.Equal(1, noneCli.ExitCode);
        Assert.Contains("has no changes yet", noneCli.Error, StringComparison.Ordinal);
    }
}

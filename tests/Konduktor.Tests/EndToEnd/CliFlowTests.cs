using System.Text.Json;
using System.Text.RegularExpressions;
using Konduktor.Tests.Infrastructure;

namespace Konduktor.Tests.EndToEnd;

/// <summary>The README's flow, through `konduktor up`'s host and the CLI as separate processes.</summary>
public sealed partial class CliFlowTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task The_readme_flow_creates_a_workspace_and_a_task_and_moves_it_by_a_short_prefix()
    {
        await using var up = await KonduktorUp.StartAsync(storage: azurite.ConnectionString);

        Assert.Equal(0, (await up.CliAsync("workspaces", "create", "https://github.com/myorg/myrepo")).ExitCode);
        Assert.Equal(0, (await up.CliAsync("workspaces", "set-default", "myrepo")).ExitCode);
        var created = await up.CliAsync("tasks", "create", "--title", "bug: component re-renders 3 times on first load", "--tag", "bug", "--priority", "high");

        var match = TaskCreated().Match(created.Output);
        Assert.True(match.Success, created.ToString());
        Assert.Equal("bug: component re-renders 3 times on first load", match.Groups[2].Value);
        var shortId = match.Groups[1].Value;

        var list = await up.CliAsync("tasks", "list");
        Assert.Contains(shortId, list.Output, StringComparison.Ordinal);
        Assert.Contains("To do", list.Output, StringComparison.Ordinal);

        var moved = await up.CliAsync("tasks", "move", shortId[..4], "In progress");
        Assert.Equal(0, moved.ExitCode);

        var shown = await up.CliAsync("tasks", "show", shortId, "--json");
        using var json = JsonDocument.Parse(shown.Output);
        Assert.Equal("In progress", json.RootElement.GetProperty("status").GetString());
        Assert.Equal("high", json.RootElement.GetProperty("priority").GetString());
        Assert.Equal(["bug"], json.RootElement.GetProperty("tags").EnumerateArray().Select(t => t.GetString()));
        Assert.StartsWith(shortId, json.RootElement.GetProperty("id").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Descriptions_come_from_a_file_or_stdin_and_tasks_can_be_updated_and_deleted()
    {
        await using var up = await KonduktorUp.StartAsync(storage: azurite.ConnectionString);
        await up.CliAsync("workspaces", "create", "myorg/app");
        var file = Path.Combine(up.Home, "spec.md");
        await File.WriteAllTextAsync(file, "# Spec\nfrom a file", TestContext.Current.CancellationToken);

        var fromFile = await up.CliAsync("-w", "app", "tasks", "create", "--title", "from file", "--description-file", file, "--json");
        var fromStdin = await up.CliWithInputAsync("## piped\ntext", "-w", "app", "tasks", "create", "--title", "from stdin", "--description-file", "-", "--json");
        var fileId = JsonDocument.Parse(fromFile.Output).RootElement.GetProperty("shortId").GetString()!;
        var stdinId = JsonDocument.Parse(fromStdin.Output).RootElement.GetProperty("shortId").GetString()!;

        Assert.Contains("from a file", (await up.CliAsync("-w", "app", "tasks", "show", fileId)).Output, StringComparison.Ordinal);
        Assert.Contains("## piped", (await up.CliAsync("-w", "app", "tasks", "show", stdinId)).Output, StringComparison.Ordinal);

        var updated = await up.CliAsync("-w", "app", "tasks", "update", fileId, "--title", "renamed", "--add-tag", "ui", "--priority", "urgent", "--json");
        var task = JsonDocument.Parse(updated.Output).RootElement;
        Assert.Equal("renamed", task.GetProperty("title").GetString());
        Assert.Equal("urgent", task.GetProperty("priority").GetString());

        Assert.Equal(0, (await up.CliAsync("-w", "app", "tasks", "delete", stdinId)).ExitCode);
        var remaining = JsonDocument.Parse((await up.CliAsync("-w", "app", "tasks", "list", "--json")).Output).RootElement;
        Assert.Equal(["renamed"], remaining.EnumerateArray().Select(t => t.GetProperty("title").GetString()));
    }

    [Fact]
    public async Task Config_is_read_and_set_from_the_cli_with_the_prompt_from_stdin()
    {
        await using var up = await KonduktorUp.StartAsync(storage: azurite.ConnectionString);
        await up.CliAsync("workspaces", "create", "myorg/app");

        var set = await up.CliWithInputAsync("Be brief.", "-w", "app", "config", "set", "--system-prompt-file", "-", "--auto-fix-ci", "off");
        Assert.Equal(0, set.ExitCode);

        var config = JsonDocument.Parse((await up.CliAsync("-w", "app", "config", "get", "--json")).Output).RootElement;
        Assert.Equal("Be brief.", config.GetProperty("systemPrompt").GetString());
        Assert.False(config.GetProperty("autoFixCi").GetBoolean());
        Assert.True(config.GetProperty("autoFixConflicts").GetBoolean());

        var bad = await up.CliAsync("-w", "app", "config", "set", "--auto-fix-ci", "maybe");
        Assert.Equal(2, bad.ExitCode);
    }

    [Fact]
    public async Task A_person_allows_agents_more_hosts_takes_one_off_again_and_a_host_that_is_not_one_is_refused_in_one_line()
    {
        await using var up = await KonduktorUp.StartAsync(storage: azurite.ConnectionString);
        await up.CliAsync("workspaces", "create", "myorg/app");

        Assert.Contains("Anthropic's API, Konduktor and the repository's remote only", (await up.CliAsync("-w", "app", "config", "get")).Output, StringComparison.Ordinal);
        var set = await up.CliAsync("-w", "app", "config", "set", "--allow-host", "Registry.Example.com", "--allow-host", "127.0.0.1:8080", "--allow-host", "*.example.org");
        Assert.True(set.ExitCode == 0, set.ToString());
        Assert.Contains("and registry.example.com:443, 127.0.0.1:8080, *.example.org:443", set.Output, StringComparison.Ordinal);
        Assert.Equal(0, (await up.CliAsync("-w", "app", "config", "set", "--disallow-host", "127.0.0.1:8080")).ExitCode);
        var config = JsonDocument.Parse((await up.CliAsync("-w", "app", "config", "get", "--json")).Output).RootElement;
        Assert.Equal(["registry.example.com:443", "*.example.org:443"], config.GetProperty("allowedHosts").EnumerateArray().Select(h => h.GetString()));

        var bad = await up.CliAsync("-w", "app", "config", "set", "--allow-host", "example.com:http");
        Assert.NotEqual(0, bad.ExitCode);
        Assert.Equal("error: 'example.com:http' is not a host to allow: HOST or HOST:PORT (e.g. registry.example.com or localhost:8080; *.example.com for every name under it)", bad.Error.Trim());
        Assert.Equal(2, JsonDocument.Parse((await up.CliAsync("-w", "app", "config", "get", "--json")).Output).RootElement.GetProperty("allowedHosts").GetArrayLength());
    }

    [Fact]
    public async Task Mistakes_get_one_line_errors_and_the_documented_exit_codes()
    {
        await using var up = await KonduktorUp.StartAsync(storage: azurite.ConnectionString);
        await up.CliAsync("workspaces", "create", "myorg/app");
        await up.CliAsync("workspaces", "set-default", "app");

        var unknown = await up.CliAsync("tasks", "show", "abcd1234");
        Assert.Equal(1, unknown.ExitCode);
        Assert.Equal("error: no task matches 'abcd1234'", unknown.Error.Trim());

        var created = TaskCreated().Match((await up.CliAsync("tasks", "create", "--title", "x")).Output).Groups[1].Value;
        var badColumn = await up.CliAsync("tasks", "move", created, "Doing");
        Assert.Equal(1, badColumn.ExitCode);
        Assert.Single(badColumn.Error.Trim().Split('\n'));
        Assert.Contains("Ideas, To do, In progress, PR Submitted, Done, Closed", badColumn.Error, StringComparison.Ordinal);

        var usage = await up.CliAsync("tasks", "create");
        Assert.Equal(2, usage.ExitCode);
        Assert.Contains("--title", usage.Error, StringComparison.Ordinal);

        var noServer = await KonduktorCli.RunAsync(KonduktorUp.NewHome(), ["tasks", "list", "-w", "app"]);
        Assert.Equal(1, noServer.ExitCode);
        Assert.DoesNotContain("   at ", noServer.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Human_output_names_no_type_etag_or_enum_spelling_and_every_empty_list_says_so()
    {
        await using var up = await KonduktorUp.StartAsync(storage: azurite.ConnectionString);
        await up.CliAsync("workspaces", "create", "myorg/app");
        await up.CliAsync("workspaces", "set-default", "app");

        var badPriority = await up.CliAsync("tasks", "create", "--title", "x", "--priority", "!!!");
        Assert.Equal(2, badPriority.ExitCode);
        Assert.Contains("error: '!!!' is not a valid --priority: expected none, low, medium, high or urgent", badPriority.Error, StringComparison.Ordinal);
        var badNumber = await up.CliAsync("runner", "start", "--capacity", "abc");
        Assert.Equal(2, badNumber.ExitCode);
        Assert.Contains("error: 'abc' is not a valid --capacity: expected a whole number", badNumber.Error, StringComparison.Ordinal);
        Assert.All(new[] { badPriority.Error, badNumber.Error }, error => Assert.DoesNotMatch("System\\.|Konduktor\\.Core|Nullable", error));

        Assert.Equal("No open questions.", (await up.CliAsync("questions", "list", "--open")).Output.Trim());
        Assert.Equal("No tasks.", (await up.CliAsync("tasks", "list")).Output.Trim());
        Assert.Equal("No projects.", (await up.CliAsync("projects", "list")).Output.Trim());
        var created = TaskCreated().Match((await up.CliAsync("tasks", "create", "--title", "Shown plainly")).Output).Groups[1].Value;
        var shown = await up.CliAsync("tasks", "show", created);
        Assert.DoesNotContain("version", shown.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("W/", shown.Output, StringComparison.Ordinal);
    }

    [GeneratedRegex("^Task created: ([0-9a-f]{8}) \"(.*)\"\\n$")]
    private static partial Regex TaskCreated();
}

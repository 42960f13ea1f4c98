using System.Net.Http.Json;
using System.Text.Json;
using Azure.Data.Tables;
using Konduktor.Core;
using Konduktor.Core.Sessions;
using Konduktor.Tests.Infrastructure;

namespace Konduktor.Tests.EndToEnd;

/// <summary>A new version started on a home an older one wrote keeps everything in it.</summary>
public sealed class UpgradeTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task Up_started_on_logs_kept_as_table_rows_moves_them_into_chunks_and_reads_every_event()
    {
        var prefix = AzuriteFixture.NewPrefix();
        var home = KonduktorUp.NewHome();
        Session session;
        await using (var first = await KonduktorUp.StartAsync(home, storage: azurite.ConnectionString, prefix: prefix, extraArguments: ["--no-runner"]))
        {
            Assert.Equal(0, (await first.CliAsync("workspaces", "create", "myorg/older")).ExitCode);
            Assert.Equal(0, (await first.CliAsync("-w", "older", "tasks", "create", "--title", "logged by the old version")).ExitCode);
            var task = JsonSerializer.Deserialize<List<Konduktor.Core.Tasks.TaskItem>>((await first.CliAsync("-w", "older", "--json", "tasks", "list")).Output, SessionsHost.Json)![0];
            session = JsonSerializer.Deserialize<Session>((await first.CliAsync("-w", "older", "--json", "tasks", "run", task.ShortId)).Output, SessionsHost.Json)!;
            Assert.Equal(0, await first.StopAsync());
        }

        // What the version before chunks left: every event a row, nothing noted, no mark of the new layout.
        var tables = new TableServiceClient(azurite.ConnectionString);
        var rows = tables.GetTableClient(prefix + "sessionlogs");
        await rows.CreateIfNotExistsAsync();
        var written = DateTimeOffset.UtcNow.AddHours(-1);
        foreach (var batch in Enumerable.Range(1, 300).Chunk(100))
        {
            await rows.SubmitTransactionAsync(batch.Select(seq => new TableTransactionAction(TableTransactionActionType.Add, new TableEntity(ShortId.Format(session.Id), seq.ToString("D12", System.Globalization.CultureInfo.InvariantCulture))
            {
                ["Time"] = written.AddSeconds(seq),
                ["Stream"] = "stdout",
                ["Text"] = $"old line {seq}",
            })));
        }

        await tables.GetTableClient(prefix + LogCompactor.LayoutTable).DeleteEntityAsync("layout", "logs");

        await using var upgraded = await KonduktorUp.StartAsync(home, storage: azurite.ConnectionString, prefix: prefix, extraArguments: ["--no-runner"]);

        Assert.Contains("Moved the logs of 1 session(s) into compressed chunks", upgraded.Output, StringComparison.Ordinal);
        var left = 0;
        await foreach (var _ in rows.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {ShortId.Format(session.Id)}")))
        {
            left++;
        }

        Assert.Equal(0, left);
        using var http = upgraded.Http();
        var page = (await http.GetFromJsonAsync<LogPage>($"api/workspaces/older/sessions/{session.Id}/logs?after=0&limit=5000", SessionsHost.Json, TestContext.Current.CancellationToken))!;
        Assert.Equal(Enumerable.Range(1, 300).Select(seq => $"old line {seq}"), page.Events.Select(e => e.Text));
    }
}

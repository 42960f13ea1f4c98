using Konduktor.Core.Contract;
using Konduktor.Runner.Processes;
using System.CommandLine;
using Konduktor.Core.Storage;

namespace Konduktor.Cli.Commands;

public static class StatusCommand
{
    public static Command Build()
    {
        var storageOps = new Option<bool>("--storage-ops") { Description = "Also show the storage requests the host has made, by operation" };
        return CommandFactory.Create("status", "Show what is running for this KONDUKTOR_HOME", async (cli, ct) =>
        {
            var up = cli.Home.ReadUpState();
            var local = up is not null && ProcessSignals.IsAlive(up.Pid);
            var status = await cli.Api.CallAsync(Operations.GetStatus, [], ct);
            var operations = cli.Get(storageOps) ? await cli.Api.CallAsync(Operations.GetStorageOperations, [], ct) : null;
            if (cli.Json)
            {
                Output.Json(operations is null ? status.Json : $$"""{"status":{{status.Json}},"storage":{{operations.Json}}}""");
                return;
            }

            Output.Line($"API:      {cli.Home.ApiUrl()} is {status.Value.Status} (version {status.Value.Version}, signed in as {status.Value.PrincipalKind} '{status.Value.Principal}')");
            if (local)
            {
                Output.Line($"Board:    {up!.Url}  (`konduktor open` prints a link that signs a browser in)");
                Output.Line($"Local:    `konduktor up` pid {up.Pid}, started {Output.Time(up.StartedAt)}");
                Output.Line($"Azurite:  {(up.AzuritePid is { } pid ? $"pid {pid} on {up.AzuriteEndpoints}" : "not started (external storage)")}");
            }

            if (operations is not null)
            {
                Output.Line($"Storage requests since the host started: {operations.Value.Total}");
                Output.Table(["OPERATION", "COUNT"], operations.Value.Operations.Select(p => (IReadOnlyList<string>)[p.Key, p.Value.ToString()]), "No storage operations counted yet.");
            }
        }, storageOps);
    }
}

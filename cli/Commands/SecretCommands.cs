using Konduktor.Core.Contract;
using System.CommandLine;
using Konduktor.Core.Workspaces;

namespace Konduktor.Cli.Commands;

/// <summary><c>secrets set|list|delete</c>: environment variables for a workspace's agents and setup script, masked in everything shown.</summary>
public static class SecretCommands
{
    public static Command Build()
    {
        var name = new Argument<string>("name") { Description = "The variable's name, e.g. NPM_TOKEN" };
        return CommandFactory.Group("secrets", "Secrets a workspace's agents and setup script get as environment variables (people only; values are never shown)",
            CommandFactory.Create("set", "Set a secret; its value is read from stdin, never given as an argument (ps and shell history would show it)", async (cli, ct) =>
            {
                if (!Console.IsInputRedirected)
                {
                    Console.Error.WriteLine($"Value of {cli.Get(name)} (then Enter, Ctrl+D):");
                }

                var value = Console.In.ReadToEnd().TrimEnd('\r', '\n');
                var set = await cli.Api.CallAsync(Operations.SetSecret, cli.In(cli.Get(name)), new SecretValue(value), ct);
                cli.Print(set, s => Output.Line($"Secret {s.Name} set; agents get it from their next session"));
            }, name),
            CommandFactory.Create("list", "List the workspace's secrets: names and when they were set, never values", async (cli, ct) =>
                cli.Print(await cli.Api.CallAsync(Operations.ListSecrets, cli.In(), ct), secrets =>
                    Output.Table(["NAME", "SET", "BY"], secrets.Select(s => (IReadOnlyList<string>)[s.Name, Output.Time(s.SetAt), s.SetBy]), "No secrets."))),
            CommandFactory.Create("delete", "Delete a secret", async (cli, ct) =>
                cli.Print(await cli.Api.CallAsync(Operations.DeleteSecret, cli.In(cli.Get(name)), ct), s => Output.Line($"Secret {s.Name} deleted")), name));
    }
}

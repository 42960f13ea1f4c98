using System.CommandLine;

namespace Konduktor.Cli.Commands;

/// <summary>
/// The native `konduktor` is the CLI and the runner; `up` (Azurite and the Functions app on this machine) needs the
/// .NET SDK and runs from a clone of Konduktor, so here it says where to find it.
/// </summary>
public static class UpElsewhere
{
    public static Command Build() => CommandFactory.Create(
        "up",
        "Run Konduktor on this machine (from a clone of Konduktor: ./konduktor up)",
        (_, _) => throw new CommandFailedException("this konduktor is the CLI and the runner; run the whole system with `./konduktor up` from a clone of Konduktor (it needs the .NET SDK and Node)"));
}

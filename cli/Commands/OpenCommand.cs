using System.CommandLine;
using System.Diagnostics;
using Konduktor.Core.Auth;
using Konduktor.Runner.Processes;

namespace Konduktor.Cli.Commands;

/// <summary><c>open</c>: a link that signs a browser in to this machine's board, at any time; opened where there is a desktop.</summary>
public static class OpenCommand
{
    public static Command Build()
    {
        var printOnly = new Option<bool>("--print") { Description = "Only print the link; do not open a browser" };
        return CommandFactory.Create("open", "Print a link that signs a browser in to this machine's board (the link lasts an hour, the sign-in 30 days) and open it where there is a desktop", (cli, _) =>
        {
            if (KonduktorHome.InsideSession)
            {
                throw new CommandFailedException("inside an agent's session there is no board to sign in to");
            }

            var up = cli.Home.ReadUpState();
            if (up is null || !ProcessSignals.IsAlive(up.Pid) || !File.Exists(cli.Home.BoardKeyFile) || !File.Exists(cli.Home.TokenFile))
            {
                throw new CommandFailedException("no board runs for this KONDUKTOR_HOME: start one with `konduktor up`");
            }

            var link = new BoardSignIn(cli.Home.BoardKeyFile, File.ReadAllText(cli.Home.TokenFile).Trim(), TimeProvider.System).LinkTo(up.Url);
            if (cli.Json)
            {
                Output.Json($$"""{"url":"{{System.Text.Json.JsonEncodedText.Encode(link)}}"}""");
                return Task.CompletedTask;
            }

            Output.Line(link);
            if (!cli.Get(printOnly) && TryOpen(link))
            {
                Console.Error.WriteLine("Opened in your browser.");
            }

            return Task.CompletedTask;
        }, printOnly);
    }

    /// <summary>Hands the link to the desktop's browser: <c>open</c> on macOS, <c>xdg-open</c> where a display is set; false without one.</summary>
    private static bool TryOpen(string url)
    {
        var opener = OperatingSystem.IsMacOS() ? "open"
            : OperatingSystem.IsLinux() && (Environment.GetEnvironmentVariable("DISPLAY") is { Length: > 0 } || Environment.GetEnvironmentVariable("WAYLAND_DISPLAY") is { Length: > 0 }) ? "xdg-open"
            : null;
        if (opener is null)
        {
            return false;
        }

        try
        {
            var start = new ProcessStartInfo(opener) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
            start.ArgumentList.Add(url);
            using var process = Process.Start(start);
            return process is not null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }
}

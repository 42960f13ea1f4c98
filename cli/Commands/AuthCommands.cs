using System.CommandLine;
using Microsoft.Identity.Client;

namespace Konduktor.Cli.Commands;

/// <summary><c>login</c> / <c>logout</c>: people sign in to a Konduktor in Azure with Entra ID (local mode needs neither).</summary>
public static class AuthCommands
{
    public static IEnumerable<Command> Build()
    {
        var url = new Option<string?>("--url") { Description = "The Konduktor API (azd's KONDUKTOR_API_URL)" };
        var tenant = new Option<string?>("--tenant") { Description = "The Entra ID tenant (id or domain)" };
        var clientId = new Option<string?>("--client-id") { Description = "The Konduktor API app registration's client id" };
        var scope = new Option<string?>("--scope") { Description = "The API scope (default: api://CLIENT-ID/user_impersonation)" };

        yield return CommandFactory.Create("login", "Sign in with Entra ID (device code); the token is cached in KONDUKTOR_HOME", async (cli, ct) =>
        {
            var saved = cli.Home.ReadConfig();
            var apiUrl = cli.Get(url) ?? saved.Url ?? throw new CommandFailedException("give the API's URL: --url https://…  (azd prints it as KONDUKTOR_API_URL)", ExitCodes.Usage);
            var tenantId = cli.Get(tenant) ?? saved.Entra?.TenantId ?? throw new CommandFailedException("give the tenant: --tenant TENANT-ID", ExitCodes.Usage);
            var client = cli.Get(clientId) ?? saved.Entra?.ClientId ?? throw new CommandFailedException("give the API's client id: --client-id CLIENT-ID", ExitCodes.Usage);
            if (!Guid.TryParse(client, out _) || !Uri.TryCreate(apiUrl, UriKind.Absolute, out var api) || api.Scheme is not ("http" or "https"))
            {
                throw new CommandFailedException("--client-id must be a GUID and --url an http(s) URL", ExitCodes.Usage);
            }

            var settings = new EntraSettings(tenantId, client, cli.Get(scope) ?? $"api://{client}/user_impersonation");
            try
            {
                var who = await EntraSignIn.LoginAsync(cli.Home, settings, message => Console.Error.WriteLine(message), ct);
                cli.Home.WriteConfig(saved with { Url = apiUrl, Entra = settings, Token = null });
                Output.Line($"Signed in to {apiUrl} as {who}.");
            }
            catch (MsalException e)
            {
                throw new CommandFailedException($"Entra ID refused the sign-in: {e.Message.ReplaceLineEndings(" ")}");
            }
            catch (HttpRequestException e)
            {
                throw new CommandFailedException($"Entra ID cannot be reached: {e.Message}");
            }
        }, url, tenant, clientId, scope);

        yield return CommandFactory.Create("logout", "Sign every browser out of this machine's board (their 30-day sign-ins end), and forget an Entra ID sign-in", (cli, _) =>
        {
            if (KonduktorHome.InsideSession)
            {
                throw new CommandFailedException("inside an agent's session there is no sign-in to end");
            }

            var board = File.Exists(cli.Home.BoardKeyFile);
            if (board)
            {
                Konduktor.Core.Auth.BoardSignIn.NewKey(cli.Home.BoardKeyFile);
            }

            var entra = cli.Home.ReadConfig().Entra is not null;
            EntraSignIn.Logout(cli.Home);
            Output.Line(board && entra ? "Signed every browser out of this machine's board, and out of Entra ID; `konduktor open` signs a browser in again."
                : board ? "Signed every browser out of this machine's board; `konduktor open` signs one in again."
                : "Signed out.");
            return Task.CompletedTask;
        });
    }
}

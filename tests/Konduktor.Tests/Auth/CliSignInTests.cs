using System.Text.Json;
using Konduktor.Tests.Infrastructure;

namespace Konduktor.Tests.Auth;

/// <summary>`konduktor login` / `logout`: what they need, and that a signed-in home uses Entra ID rather than a token.</summary>
public sealed class CliSignInTests
{
    [Fact]
    public async Task Login_says_what_it_needs_a_configured_sign_in_is_required_for_calls_and_logout_forgets_it()
    {
        var home = KonduktorUp.NewHome();
        var bare = await KonduktorCli.RunAsync(home, ["login"]);
        var badClient = await KonduktorCli.RunAsync(home, ["login", "--url", "https://konduktor.example", "--tenant", "contoso.example", "--client-id", "not-a-guid"]);
        await File.WriteAllTextAsync(Path.Combine(home, "config.json"), JsonSerializer.Serialize(new
        {
            url = "http://127.0.0.1:9",
            entra = new { tenantId = Guid.NewGuid().ToString(), clientId = Guid.NewGuid().ToString(), scope = "api://x/user_impersonation" },
        }));
        var notSignedIn = await KonduktorCli.RunAsync(home, ["workspaces", "list"]);
        var logout = await KonduktorCli.RunAsync(home, ["logout"]);
        var config = await File.ReadAllTextAsync(Path.Combine(home, "config.json"));

        Assert.Equal(2, bare.ExitCode);
        Assert.Contains("give the API's URL", bare.Error, StringComparison.Ordinal);
        Assert.Equal(2, badClient.ExitCode);
        Assert.Equal(1, notSignedIn.ExitCode);
        Assert.Contains("not signed in: `konduktor login`", notSignedIn.Error, StringComparison.Ordinal);
        Assert.Equal(0, logout.ExitCode);
        Assert.DoesNotContain("entra", config, StringComparison.OrdinalIgnoreCase);
    }
}

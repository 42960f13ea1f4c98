using System.Net.Http.Headers;
using Konduktor.Runner.Processes;
using Microsoft.Identity.Client;

namespace Konduktor.Cli;

/// <summary>
/// <c>konduktor login</c>: people sign in with Entra ID through the device code flow (MSAL.NET); tokens are cached in
/// KONDUKTOR_HOME (user-only) and renewed silently for each call until <c>konduktor logout</c>.
/// </summary>
public static class EntraSignIn
{
    public static async Task<string> LoginAsync(KonduktorHome home, EntraSettings settings, Action<string> show, CancellationToken ct)
    {
        var app = App(home, settings);
        var result = await app.AcquireTokenWithDeviceCode([settings.Scope], code =>
        {
            show(code.Message);
            return Task.CompletedTask;
        }).ExecuteAsync(ct);
        return result.Account.Username;
    }

    public static void Logout(KonduktorHome home)
    {
        File.Delete(home.SignInCacheFile);
        home.WriteConfig(home.ReadConfig() with { Entra = null });
    }

    /// <summary>A fresh access token for the signed-in person, or a clear error asking them to sign in again.</summary>
    public static async Task<string> TokenAsync(KonduktorHome home, EntraSettings settings, CancellationToken ct)
    {
        var app = App(home, settings);
        var account = (await app.GetAccountsAsync()).FirstOrDefault()
            ?? throw new CommandFailedException("you are not signed in: `konduktor login`");
        try
        {
            return (await app.AcquireTokenSilent([settings.Scope], account).ExecuteAsync(ct)).AccessToken;
        }
        catch (MsalUiRequiredException)
        {
            throw new CommandFailedException("your sign-in has expired: `konduktor login`");
        }
    }

    private static IPublicClientApplication App(KonduktorHome home, EntraSettings settings)
    {
        var app = PublicClientApplicationBuilder.Create(settings.ClientId)
            .WithAuthority(AzureCloudInstance.AzurePublic, settings.TenantId)
            .WithDefaultRedirectUri()
            .Build();
        var cache = home.SignInCacheFile;
        app.UserTokenCache.SetBeforeAccess(args =>
        {
            if (File.Exists(cache))
            {
                args.TokenCache.DeserializeMsalV3(File.ReadAllBytes(cache));
            }
        });
        app.UserTokenCache.SetAfterAccess(args =>
        {
            if (args.HasStateChanged)
            {
                PrivateFile.Write(cache, args.TokenCache.SerializeMsalV3());
            }
        });
        return app;
    }
}

/// <summary>Puts the signed-in person's Entra ID token on every API call.</summary>
public sealed class EntraTokenHandler(KonduktorHome home, EntraSettings settings) : DelegatingHandler(new HttpClientHandler())
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", await EntraSignIn.TokenAsync(home, settings, cancellationToken));
        return await base.SendAsync(request, cancellationToken);
    }
}

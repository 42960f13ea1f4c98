using System.Security.Claims;
using Konduktor.Core.Auth;
using Konduktor.Core.Results;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Identity.Web;

namespace Konduktor.Functions.Http;

/// <summary>
/// People signed in with Entra ID: the bearer token is validated by Microsoft.Identity.Web's JWT handler (signature
/// against the tenant's published keys, issuer, audience, lifetime), and the person needs the app role that lets them
/// use Konduktor at all. Configured by <c>Konduktor:Auth:Entra:*</c> (Instance, TenantId, ClientId, Audience).
/// </summary>
public sealed class EntraUserAuthenticator(IHttpContextAccessor http, EntraOptions options) : IUserAuthenticator
{
    public const string Section = "Konduktor:Auth:Entra";

    public async ValueTask<Result<Principal>> AuthenticateAsync(string? authorization, CancellationToken ct)
    {
        if (http.HttpContext is not { } context || string.IsNullOrWhiteSpace(authorization))
        {
            return new Unauthorized("sign in first: `konduktor login` (or the board's Sign in)");
        }

        var result = await context.AuthenticateAsync(JwtBearerDefaults.AuthenticationScheme);
        if (!result.Succeeded || result.Principal is not { } user)
        {
            return new Unauthorized($"the sign-in token was refused ({result.Failure?.GetType().Name.Replace("SecurityToken", "", StringComparison.Ordinal).Replace("Exception", "", StringComparison.Ordinal) ?? "not a token"}); sign in again: `konduktor login`");
        }

        if (!user.IsInRole(options.RequiredRole))
        {
            return new Forbidden($"your account may not use Konduktor: it needs the app role {options.RequiredRole} (ask an admin to assign it)");
        }

        var name = user.FindFirstValue("preferred_username") ?? user.FindFirstValue("name") ?? user.GetObjectId() ?? "someone";
        return new Principal(PrincipalKind.User, name, Id: Guid.TryParse(user.GetObjectId(), out var oid) ? oid : null);
    }

    /// <summary>Registers Entra ID sign-in when <c>Konduktor:Auth:Entra:ClientId</c> is set (Azure; a test's local OIDC server).</summary>
    public static void AddTo(IServiceCollection services, IConfiguration configuration)
    {
        var section = configuration.GetSection(Section);
        if (string.IsNullOrEmpty(section["ClientId"]))
        {
            return;
        }

        services.AddHttpContextAccessor();
        services.AddSingleton(new EntraOptions(configuration["Konduktor:Auth:RequiredRole"] ?? "Konduktor.User"));
        services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme)
            .AddMicrosoftIdentityWebApi(
                jwt =>
                {
                    configuration.Bind(Section, jwt);
                    // Metadata over plain HTTP only from this machine (a test's OIDC server); anywhere else it must be HTTPS.
                    var instance = (section["Instance"] ?? "https://login.microsoftonline.com/").TrimEnd('/');
                    jwt.RequireHttpsMetadata = !Uri.TryCreate(instance, UriKind.Absolute, out var uri) || !uri.IsLoopback;
                    // One tenant: its v2.0 and v1.0 issuers only (a token of any other tenant is refused).
                    jwt.TokenValidationParameters.ValidIssuers = [$"{instance}/{section["TenantId"]}/v2.0", $"https://sts.windows.net/{section["TenantId"]}/"];
                },
                identity => section.Bind(identity));
        services.AddSingleton<IUserAuthenticator, EntraUserAuthenticator>();
    }
}

/// <param name="RequiredRole">The app role a person needs to use Konduktor at all.</param>
public sealed record EntraOptions(string RequiredRole);

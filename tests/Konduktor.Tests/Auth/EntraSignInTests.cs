using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using Konduktor.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Konduktor.Tests.Auth;

/// <summary>
/// People's Entra ID tokens, validated by Microsoft.Identity.Web inside `up`'s host against a local OIDC server the
/// test runs (its metadata and signing keys): only a valid token of the right tenant, audience and role gets in.
/// </summary>
public sealed class EntraSignInTests(EntraSignInTests.Host host) : IClassFixture<EntraSignInTests.Host>
{
    public sealed class Host(AzuriteFixture azurite) : IAsyncLifetime
    {
        public string Tenant { get; } = Guid.NewGuid().ToString();

        public string ClientId { get; } = Guid.NewGuid().ToString();

        public RSA Key { get; } = RSA.Create(2048);

        public string Issuer => $"{Authority}/{Tenant}/v2.0";

        public string Authority { get; private set; } = "";

        public KonduktorUp Up { get; private set; } = null!;

        private WebApplication _oidc = null!;

        public async ValueTask InitializeAsync()
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            _oidc = builder.Build();
            _oidc.MapGet("/{tenant}/v2.0/.well-known/openid-configuration", (string tenant) => Results.Json(new Dictionary<string, object>
            {
                // As Entra ID does: the multi-tenant endpoints publish an issuer template, a tenant's its own issuer.
                ["issuer"] = tenant is "common" or "organizations" ? $"{Authority}/{{tenantid}}/v2.0" : $"{Authority}/{tenant}/v2.0",
                ["jwks_uri"] = $"{Authority}/{tenant}/discovery/v2.0/keys",
                ["authorization_endpoint"] = $"{Authority}/{tenant}/oauth2/v2.0/authorize",
                ["token_endpoint"] = $"{Authority}/{tenant}/oauth2/v2.0/token",
                ["id_token_signing_alg_values_supported"] = new[] { "RS256" },
                ["response_types_supported"] = new[] { "code" },
                ["subject_types_supported"] = new[] { "pairwise" },
            }));
            _oidc.MapGet("/{tenant}/discovery/v2.0/keys", () =>
            {
                var jwk = JsonWebKeyConverter.ConvertFromRSASecurityKey(new RsaSecurityKey(Key.ExportParameters(false)) { KeyId = "test-key" });
                return Results.Json(new { keys = new[] { new { kty = jwk.Kty, use = "sig", kid = jwk.Kid, n = jwk.N, e = jwk.E } } });
            });
            await _oidc.StartAsync();
            Authority = _oidc.Urls.First();
            Up = await KonduktorUp.StartAsync(storage: azurite.ConnectionString, extraArguments: ["--no-runner"], environment: new Dictionary<string, string>
            {
                ["Konduktor__Auth__Entra__Instance"] = Authority + "/",
                ["Konduktor__Auth__Entra__TenantId"] = Tenant,
                ["Konduktor__Auth__Entra__ClientId"] = ClientId,
                ["Konduktor__Auth__Entra__Audience"] = $"api://{ClientId}",
            });
        }

        public async ValueTask DisposeAsync()
        {
            await Up.DisposeAsync();
            await _oidc.DisposeAsync();
            Key.Dispose();
        }
    }

    public static TheoryData<string, HttpStatusCode> Tokens() => new()
    {
        { "valid", HttpStatusCode.OK },
        { "expired", HttpStatusCode.Unauthorized },
        { "wrong audience", HttpStatusCode.Unauthorized },
        { "wrong issuer", HttpStatusCode.Unauthorized },
        { "bad signature", HttpStatusCode.Unauthorized },
        { "missing role", HttpStatusCode.Forbidden },
    };

    [Theory]
    [MemberData(nameof(Tokens))]
    public async Task Only_a_valid_token_of_the_tenant_for_this_api_with_the_konduktor_role_gets_in(string which, HttpStatusCode expected)
    {
        using var other = RSA.Create(2048);
        var now = DateTimeOffset.UtcNow;
        var token = Mint(
            which == "bad signature" ? other : host.Key,
            issuer: which == "wrong issuer" ? $"{host.Authority}/{Guid.NewGuid()}/v2.0" : host.Issuer,
            audience: which == "wrong audience" ? "api://someone-else" : $"api://{host.ClientId}",
            notBefore: which == "expired" ? now.AddHours(-2) : now.AddMinutes(-1),
            expires: which == "expired" ? now.AddHours(-1) : now.AddHours(1),
            roles: which == "missing role" ? ["Reader"] : ["Konduktor.User"]);
        using var http = new HttpClient { BaseAddress = new Uri(host.Up.Url + "/") };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);

        var response = await http.GetAsync("api/workspaces", TestContext.Current.CancellationToken);

        Assert.True(expected == response.StatusCode, $"{response.StatusCode}: {await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)}");
        if (expected != HttpStatusCode.OK)
        {
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }
    }

    [Fact]
    public async Task A_signed_in_person_is_recorded_by_name_and_the_local_token_still_works()
    {
        var token = Mint(host.Key, host.Issuer, $"api://{host.ClientId}", DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddHours(1), ["Konduktor.User"]);
        using var http = new HttpClient { BaseAddress = new Uri(host.Up.Url + "/") };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        var workspace = "entra" + Guid.NewGuid().ToString("N")[..8];
        Assert.Equal(0, (await host.Up.CliAsync("workspaces", "create", "acme/" + workspace)).ExitCode);

        var created = await http.PostAsync($"api/workspaces/{workspace}/tasks", new StringContent("{\"title\":\"From Entra\"}", System.Text.Encoding.UTF8, "application/json"), TestContext.Current.CancellationToken);
        var body = await created.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Contains("\"createdBy\":\"ada@example.com\"", body, StringComparison.Ordinal);
    }

    private static string Mint(RSA key, string issuer, string audience, DateTimeOffset notBefore, DateTimeOffset expires, string[] roles) =>
        new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = issuer,
            Audience = audience,
            NotBefore = notBefore.UtcDateTime,
            IssuedAt = notBefore.UtcDateTime,
            Expires = expires.UtcDateTime,
            SigningCredentials = new SigningCredentials(new RsaSecurityKey(key) { KeyId = "test-key" }, SecurityAlgorithms.RsaSha256),
            Claims = new Dictionary<string, object>
            {
                ["oid"] = "7c9e6679-7425-40de-944b-e07fc1f90ae7",
                ["sub"] = "ada",
                ["tid"] = issuer.Split('/')[^2],
                ["preferred_username"] = "ada@example.com",
                ["ver"] = "2.0",
                ["roles"] = roles,
            },
        });
}

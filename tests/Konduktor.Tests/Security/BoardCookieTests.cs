using System.Net;
using System.Text;
using Konduktor.Tests.Infrastructure;

namespace Konduktor.Tests.Security;

/// <summary>
/// The board's sign-in cookie reaches 127.0.0.1 from any page on any port (an agent's dev server included): every
/// forged change is refused, the board's own requests are not.
/// </summary>
public sealed class BoardCookieTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task Changes_signed_in_by_the_cookie_are_refused_unless_they_come_as_json_from_the_boards_own_page()
    {
        await using var up = await KonduktorUp.StartAsync(storage: azurite.ConnectionString, extraArguments: ["--no-runner"]);
        var (workspace, _) = await new SessionDriver(up).CreateWorkspaceAsync();
        var port = new Uri(up.Url).Port;
        var cookie = await SignInCookieAsync(up);
        Assert.Equal($"konduktor_token_{port}", cookie.Split('=')[0]);
        var ownPage = up.Url;
        var devServer = $"http://127.0.0.1:{KonduktorUp.FreePort()}";
        const string task = """{"title":"forged"}""";

        var forgeries = new (string What, string Body, string ContentType, string? Origin, string? FetchSite)[]
        {
            ("a text/plain post from a dev server", task, "text/plain", devServer, "same-site"),
            ("a form post from a dev server", "title=forged", "application/x-www-form-urlencoded", devServer, "same-site"),
            ("JSON from a dev server (a page that got past preflight)", task, "application/json", devServer, "same-site"),
            ("JSON from another site without Sec-Fetch-Site", task, "application/json", "http://evil.example", null),
            ("JSON with no origin at all", task, "application/json", null, null),
            ("a text/plain post claiming the board's own origin", task, "text/plain", ownPage, null),
        };
        using var http = new HttpClient { BaseAddress = new Uri(up.Url) };
        foreach (var (what, body, contentType, origin, site) in forgeries)
        {
            using var response = await http.SendAsync(Request(workspace, body, contentType, cookie, origin, site));
            Assert.True(response.StatusCode == HttpStatusCode.Forbidden, $"{what}: {(int)response.StatusCode}");
            var detail = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("detail").GetString();
            Assert.Contains("board's cookie", detail, StringComparison.Ordinal);
        }

        using var otherPortsCookie = await http.SendAsync(Request(workspace, task, "application/json", $"konduktor_token_{port + 1}={cookie.Split('=')[1]}", ownPage, "same-origin"));
        Assert.Equal(HttpStatusCode.Unauthorized, otherPortsCookie.StatusCode);
        var tasks = await up.CliAsync("-w", workspace, "tasks", "list");
        Assert.DoesNotContain("forged", tasks.Output, StringComparison.Ordinal);

        using var fromTheBoard = await http.SendAsync(Request(workspace, """{"title":"from the board"}""", "application/json", cookie, ownPage, "same-origin"));
        Assert.Equal(HttpStatusCode.Created, fromTheBoard.StatusCode);
        using var read = new HttpRequestMessage(HttpMethod.Get, $"api/workspaces/{workspace}/tasks");
        read.Headers.Add("Cookie", cookie);
        Assert.Equal(HttpStatusCode.OK, (await http.SendAsync(read)).StatusCode);
    }

    private static HttpRequestMessage Request(string workspace, string body, string contentType, string cookie, string? origin, string? fetchSite)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, $"api/workspaces/{workspace}/tasks") { Content = new StringContent(body, Encoding.UTF8) };
        request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue(contentType);
        request.Headers.Add("Cookie", cookie);
        if (origin is not null)
        {
            request.Headers.Add("Origin", origin);
        }

        if (fetchSite is not null)
        {
            request.Headers.Add("Sec-Fetch-Site", fetchSite);
        }

        return request;
    }

    /// <summary>Opens the sign-in link <c>up</c> printed, as the person's browser would, and returns the cookie it sets.</summary>
    private static async Task<string> SignInCookieAsync(KonduktorUp up)
    {
        var link = up.Output.Split('\n').Select(l => l.Trim()).First(l => l.StartsWith("» Board: ", StringComparison.Ordinal))["» Board: ".Length..].Split(' ')[0];
        using var browser = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false });
        using var response = await browser.GetAsync(link);
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        return response.Headers.GetValues("Set-Cookie").Single().Split(';')[0];
    }
}

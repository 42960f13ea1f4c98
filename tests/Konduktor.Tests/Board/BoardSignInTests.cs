using System.Text.RegularExpressions;
using Konduktor.Core.Auth;
using Konduktor.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Konduktor.Tests.Board;

/// <summary>
/// A browser signed in to a local board stays signed in (a cookie of 30 days, across restarts) until `konduktor
/// logout`; `konduktor open` makes a sign-in link at any time, and `status` says where the board is.
/// </summary>
public sealed partial class BoardSignInTests(BoardHost host) : IClassFixture<BoardHost>
{
    [Fact]
    public async Task A_link_from_open_signs_a_browser_in_for_thirty_days_across_a_restart_until_logout_signs_every_browser_out()
    {
        var status = await host.Up.CliAsync("status");
        Assert.Contains($"Board:    {host.Up.Url}", status.Output, StringComparison.Ordinal);
        var open = await host.Up.CliAsync("open", "--print");
        Assert.True(open.ExitCode == 0, open.ToString());
        var link = open.Output.Trim();
        Assert.Matches(SignInLink(), link);

        var first = await host.Browser.NewContextAsync();
        var page = await first.NewPageAsync();
        await page.GotoAsync(link);
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "New workspace" })).ToBeVisibleAsync();
        var cookie = Assert.Single(await first.CookiesAsync(), c => c.Name.StartsWith("konduktor_token_", StringComparison.Ordinal));
        var lasts = DateTimeOffset.FromUnixTimeSeconds((long)cookie.Expires) - DateTimeOffset.UtcNow;
        Assert.InRange(lasts, TimeSpan.FromDays(29.9), TimeSpan.FromDays(30.1));
        Assert.True(cookie.HttpOnly);
        Assert.DoesNotContain(File.ReadAllText(Path.Combine(host.Up.Home, "token")).Trim(), cookie.Value, StringComparison.Ordinal);

        // The browser restarts: a new context with what the old one kept on disk.
        var kept = await first.StorageStateAsync();
        await first.CloseAsync();
        var restarted = await host.Browser.NewContextAsync(new() { StorageState = kept });
        var again = await restarted.NewPageAsync();
        await again.GotoAsync(host.Up.Url + "/");
        await Expect(again.GetByRole(AriaRole.Button, new() { Name = "New workspace" })).ToBeVisibleAsync();

        var logout = await host.Up.CliAsync("logout");
        Assert.True(logout.ExitCode == 0, logout.ToString());
        Assert.Contains("Signed every browser out of this machine's board", logout.Output, StringComparison.Ordinal);
        await again.ReloadAsync();
        var alert = again.GetByRole(AriaRole.Alert);
        await Expect(alert).ToHaveTextAsync("You are not signed in to this board: run konduktor open on the machine it runs on for a sign-in link.");
        await Expect(again.GetByRole(AriaRole.Button)).ToHaveCountAsync(0);
        await Expect(again.GetByRole(AriaRole.Link)).ToHaveCountAsync(0);
        var stale = await again.APIRequest.GetAsync(link, new() { MaxRedirects = 0 });
        Assert.Equal(401, stale.Status);
        Assert.Contains("konduktor open", await stale.TextAsync(), StringComparison.Ordinal);

        // A new link signs the browser in again.
        await again.GotoAsync((await host.Up.CliAsync("open", "--print")).Output.Trim());
        await Expect(again.GetByRole(AriaRole.Button, new() { Name = "New workspace" })).ToBeVisibleAsync();
        await restarted.CloseAsync();
    }

    [Fact]
    public void A_link_lasts_an_hour_a_cookie_thirty_days_and_neither_outlives_a_new_key_or_a_new_local_token()
    {
        var key = Path.Combine(Directory.CreateTempSubdirectory("konduktor-board-key-").FullName, "board-key");
        BoardSignIn.EnsureKey(key);
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var signIn = new BoardSignIn(key, "local-token", clock);
        var code = new Uri(signIn.LinkTo("http://127.0.0.1:1")).Query["?code=".Length..];
        var (cookie, expires) = signIn.NewCookie();

        Assert.Equal(SignInCheck.Valid, signIn.CheckLinkCode(code));
        Assert.False(signIn.IsValidCookie(code)); // a link's code is not a cookie
        Assert.Equal(SignInCheck.Invalid, signIn.CheckLinkCode(cookie));
        Assert.Equal(clock.GetUtcNow() + TimeSpan.FromDays(30), expires);
        Assert.False(new BoardSignIn(key, "another-token", clock).IsValidCookie(cookie));
        Assert.Equal(SignInCheck.Invalid, signIn.CheckLinkCode(code[..^1] + (code[^1] == '0' ? '1' : '0')));
        Assert.Equal(SignInCheck.Invalid, signIn.CheckLinkCode("kb_99999999999.00"));

        clock.Advance(TimeSpan.FromMinutes(61));
        Assert.Equal(SignInCheck.Expired, signIn.CheckLinkCode(code));
        Assert.True(signIn.IsValidCookie(cookie));
        clock.Advance(TimeSpan.FromDays(30));
        Assert.False(signIn.IsValidCookie(cookie));

        var (fresh, _) = signIn.NewCookie();
        Assert.True(signIn.IsValidCookie(fresh));
        BoardSignIn.NewKey(key);
        Assert.False(signIn.IsValidCookie(fresh));
    }

    [GeneratedRegex(@"^http://127\.0\.0\.1:\d+/auth/local\?code=kb_\d+\.[0-9a-f]{64}$")]
    private static partial Regex SignInLink();
}

using Konduktor.Cli;

namespace Konduktor.Tests.Rules;

/// <summary>
/// The CLI's human output says times and money in the board's words: the same cases are in web/src/logic.test.ts,
/// so the two cannot drift apart unnoticed.
/// </summary>
public sealed class OneVoiceTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 7, 14, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData(-20, "just now")]
    [InlineData(-59, "just now")]
    [InlineData(-60, "1 min ago")]
    [InlineData(-4 * 60 - 30, "4 min ago")]
    [InlineData(-3 * 3600, "3 h ago")]
    [InlineData(-30 * 3600, "yesterday")]
    [InlineData(-5 * 86400, "5 days ago")]
    [InlineData(-40 * 86400, "2026-10-28")]
    [InlineData(12 * 60, "in 12 min")]
    [InlineData(2 * 3600 + 5, "in 2 h")]
    public void A_moment_is_said_relative_to_now_as_the_board_says_it(int secondsFromNow, string said) =>
        Assert.Equal(said, Output.Ago(Now.AddSeconds(secondsFromNow), Now));

    [Theory]
    [InlineData(null, "-")]
    [InlineData("0", "$0.00")]
    [InlineData("0.0016", "$0.0016")]
    [InlineData("0.5", "$0.50")]
    [InlineData("0.12345", "$0.1235")]
    [InlineData("1", "$1.00")]
    [InlineData("12.404", "$12.40")]
    public void Money_is_cents_from_a_dollar_and_up_to_four_decimals_below(string? usd, string said) =>
        Assert.Equal(said, Output.Cost(usd is null ? null : decimal.Parse(usd, System.Globalization.CultureInfo.InvariantCulture)));
}

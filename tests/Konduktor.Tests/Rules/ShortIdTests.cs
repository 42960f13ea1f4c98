using Konduktor.Core;
using Konduktor.Core.Results;

namespace Konduktor.Tests.Rules;

public sealed class ShortIdTests
{
    [Fact]
    public void A_short_id_is_the_first_eight_hex_characters_of_the_uuid() =>
        Assert.Equal("d80339c4", ShortId.Of(Guid.Parse("D80339C4-1111-2222-3333-444455556666")));

    [Theory]
    [InlineData("d803", "d804")]
    [InlineData("d80f", "d80g")]
    [InlineData("d809", "d80:")]
    public void The_upper_bound_of_a_prefix_sorts_after_every_id_with_that_prefix(string prefix, string upper)
    {
        Assert.Equal(upper, ShortId.UpperBound(prefix));
        Assert.True(string.CompareOrdinal(prefix + "ffffffff-ffff", upper) < 0);
    }

    [Theory]
    [InlineData("D803", "d803")]
    [InlineData("  d80339c4 ", "d80339c4")]
    public void Prefixes_are_normalised_to_lower_case(string input, string expected) =>
        Assert.Equal(expected, ShortId.Parse(input, "task").Value);

    [Theory]
    [InlineData("", "required")]
    [InlineData("d8", "too short")]
    [InlineData("xyz1", "is not a task id")]
    [InlineData("d803' or 'a' eq 'a", "is not a task id")]
    public void Bad_prefixes_are_refused_with_a_reason(string input, string reason)
    {
        var failure = Assert.IsType<Invalid>(ShortId.Parse(input, "task").Failure);
        Assert.Contains(reason, failure.Message, StringComparison.Ordinal);
    }
}

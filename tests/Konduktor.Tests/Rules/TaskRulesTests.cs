using Konduktor.Core.Results;
using Konduktor.Core.Tasks;
using Konduktor.Core.Workspaces;

namespace Konduktor.Tests.Rules;

public sealed class TaskRulesTests
{
    private static readonly Workspace Workspace = new()
    {
        Id = Guid.NewGuid(),
        Name = "myrepo",
        Repository = "https://github.com/myorg/myrepo",
        DefaultBranch = "main",
        Columns = BoardColumns.Defaults,
        Config = new WorkspaceConfig { SystemPrompt = DefaultSystemPrompt.Text, AutoFixCi = true, AutoFixConflicts = true, PermissionMode = WorkspaceRules.DefaultPermissionMode },
        CreatedAt = DateTimeOffset.UnixEpoch,
        UpdatedAt = DateTimeOffset.UnixEpoch,
        Version = "v",
    };

    [Fact]
    public void The_default_board_has_six_columns_in_order() =>
        Assert.Equal(["Ideas", "To do", "In progress", "PR Submitted", "Done", "Closed"], BoardColumns.Defaults);

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("two\nlines")]
    public void A_title_must_be_one_non_empty_line(string title) =>
        Assert.IsType<Invalid>(TaskRules.Title(title).Failure);

    [Fact]
    public void A_title_may_have_200_characters_but_not_201()
    {
        Assert.True(TaskRules.Title(new string('a', 200)).IsSuccess);
        Assert.Contains("201", TaskRules.Title(new string('a', 201)).Failure!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_description_may_be_one_mebibyte_of_utf8_but_no_more()
    {
        Assert.True(TaskRules.Description(new string('x', TaskRules.MaxDescriptionBytes)).IsSuccess);
        Assert.IsType<TooLarge>(TaskRules.Description(new string('é', TaskRules.MaxDescriptionBytes / 2 + 1)).Failure);
    }

    [Fact]
    public void Status_matches_a_column_case_insensitively_and_a_wrong_one_lists_the_columns()
    {
        Assert.Equal("In progress", TaskRules.Status(Workspace, "in PROGRESS").Value);
        var failure = TaskRules.Status(Workspace, "Doing").Failure!;
        Assert.Contains("Ideas, To do, In progress, PR Submitted, Done, Closed", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Tags_are_lower_cased_and_deduplicated()
    {
        Assert.Equal(["bug", "ui"], TaskRules.Tags(["Bug", "bug", "ui"]).Value);
        Assert.IsType<Invalid>(TaskRules.Tags(["has space"]).Failure);
        Assert.IsType<Invalid>(TaskRules.Tags(Enumerable.Range(0, 51).Select(i => $"t{i}")).Failure);
    }
}

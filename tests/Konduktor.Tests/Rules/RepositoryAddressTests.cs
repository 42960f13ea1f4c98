using Konduktor.Core.Results;
using Konduktor.Core.Workspaces;

namespace Konduktor.Tests.Rules;

public sealed class RepositoryAddressTests
{
    [Theory]
    [InlineData("https://github.com/myorg/myrepo", "myorg/myrepo", "myrepo")]
    [InlineData("https://github.com/myorg/myrepo.git", "myorg/myrepo", "myrepo")]
    [InlineData("https://github.com/myorg/my.repo/", "myorg/my.repo", "my.repo")]
    [InlineData("github.com/myorg/myrepo", "myorg/myrepo", "myrepo")]
    [InlineData("git@github.com:myorg/myrepo.git", "myorg/myrepo", "myrepo")]
    [InlineData("myorg/myrepo", "myorg/myrepo", "myrepo")]
    public void GitHub_repositories_are_recognised_in_every_usual_spelling(string input, string fullName, string name)
    {
        var address = RepositoryAddress.Parse(input).Value!;
        Assert.Equal(fullName, address.GitHubFullName);
        Assert.Equal(name, address.Name);
        Assert.Equal($"https://github.com/{fullName}", address.Url);
    }

    [Theory]
    [InlineData("/tmp/remotes/app.git", "app")]
    [InlineData("file:///srv/git/app.git", "app")]
    [InlineData("ssh://git@example.org/team/app.git", "app")]
    [InlineData("git@example.org:team/app.git", "app")]
    public void Other_git_urls_and_absolute_paths_are_accepted_for_runners_to_clone(string input, string name)
    {
        var address = RepositoryAddress.Parse(input).Value!;
        Assert.Null(address.GitHubFullName);
        Assert.Equal(name, address.Name);
    }

    [Theory]
    [InlineData("")]
    [InlineData("not a url")]
    [InlineData("https://github.com/myorg")]
    [InlineData("https://github.com/myorg/myrepo/tree/main")]
    [InlineData("--upload-pack=touch /tmp/pwned")]
    [InlineData("relative/path/../x")]
    [InlineData("https://github.com/my\norg/myrepo")]
    public void Anything_else_is_refused_with_an_example_of_what_is_expected(string input)
    {
        var failure = Assert.IsType<Invalid>(RepositoryAddress.Parse(input).Failure);
        Assert.Equal("repository", failure.Field);
    }
}

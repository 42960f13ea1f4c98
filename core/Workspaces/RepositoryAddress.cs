using System.Text.RegularExpressions;
using Konduktor.Core.Results;

namespace Konduktor.Core.Workspaces;

/// <summary>
/// Where a workspace's code lives. GitHub (a URL or <c>org/repo</c>) is the normal case; any other git URL
/// or an absolute local path also works, so a runner can clone it (tests use a local bare repository).
/// </summary>
public sealed partial record RepositoryAddress(string Url, string? GitHubFullName, string Name)
{
    public static Result<RepositoryAddress> Parse(string? text)
    {
        var input = (text ?? "").Trim();
        if (input.Length == 0)
        {
            return Bad("a repository is required, e.g. https://github.com/myorg/myrepo or myorg/myrepo");
        }

        if (input.Length > 500 || input.Any(c => char.IsControl(c) || char.IsWhiteSpace(c)) || input.StartsWith('-'))
        {
            return Bad($"'{ShortId.Shorten(input)}' is not a repository: expected https://github.com/ORG/REPO, ORG/REPO, a git URL or an absolute path");
        }

        if (GitHubShorthand().Match(input) is { Success: true } shorthand)
        {
            return GitHub(shorthand.Groups["owner"].Value, shorthand.Groups["repo"].Value);
        }

        if (GitHubUrl().Match(input) is { Success: true } url)
        {
            return GitHub(url.Groups["owner"].Value, url.Groups["repo"].Value);
        }

        if (input.Contains("github.com", StringComparison.OrdinalIgnoreCase))
        {
            return Bad($"'{ShortId.Shorten(input)}' is not a GitHub repository URL: expected https://github.com/ORG/REPO");
        }

        if (OtherGitUrl().IsMatch(input) || (input.StartsWith('/') && !input.Contains("/../") && !input.EndsWith("/..")))
        {
            var name = RepositoryName(input);
            return name is null
                ? Bad($"'{ShortId.Shorten(input)}' does not end in a repository name")
                : new RepositoryAddress(input.TrimEnd('/'), null, name);
        }

        return Bad($"'{ShortId.Shorten(input)}' is not a repository: expected https://github.com/ORG/REPO, ORG/REPO, a git URL or an absolute path");
    }

    private static RepositoryAddress GitHub(string owner, string repo)
    {
        repo = repo.EndsWith(".git", StringComparison.OrdinalIgnoreCase) ? repo[..^4] : repo;
        return new RepositoryAddress($"https://github.com/{owner}/{repo}", $"{owner}/{repo}", repo);
    }

    private static string? RepositoryName(string url)
    {
        var last = url.TrimEnd('/').Split('/', ':').LastOrDefault() ?? "";
        last = last.EndsWith(".git", StringComparison.OrdinalIgnoreCase) ? last[..^4] : last;
        return WorkspaceRules.NamePattern().IsMatch(last) ? last : null;
    }

    private static Invalid Bad(string message) => new(message, "repository");

    [GeneratedRegex(@"^(?<owner>[A-Za-z0-9](?:[A-Za-z0-9-]{0,38}))/(?<repo>[A-Za-z0-9._-]{1,100})$")]
    private static partial Regex GitHubShorthand();

    [GeneratedRegex(@"^(?:(?:https://)?(?:www\.)?github\.com/|git@github\.com:|ssh://git@github\.com/)(?<owner>[A-Za-z0-9](?:[A-Za-z0-9-]{0,38}))/(?<repo>[A-Za-z0-9._-]{1,100}?)/?$", RegexOptions.IgnoreCase)]
    private static partial Regex GitHubUrl();

    [GeneratedRegex(@"^(?:(?:https?|ssh|git|file)://[^\s]+|[A-Za-z0-9._-]+@[A-Za-z0-9.-]+:[^\s]+)$")]
    private static partial Regex OtherGitUrl();
}

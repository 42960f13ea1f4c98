using System.Text.RegularExpressions;
using Konduktor.Runner.Sandbox;

namespace Konduktor.Tests.Security;

/// <summary>
/// The macOS sandbox's profile, read here as Seatbelt reads it (the last rule that matches decides), since macOS itself
/// is not here: the agent reads the system and its programs but not the person's home or Konduktor's, and writes only
/// its room and the shared folders.
/// </summary>
public sealed partial class SeatbeltProfileTests
{
    private const string Person = "/Users/person";
    private const string KonduktorHome = "/Users/person/.konduktor";
    private const string Work = "/Users/person/.konduktor/runners/laptop";
    private const string Mirror = Work + "/repos/origin.git";

    private static readonly AgentRoom Room = new(Work + "/worktrees/origin/task-a", Mirror, Mirror + "/worktrees/task-a", Work + "/homes/session",
        [Work + "/sessions/s/system-prompt.md"]);

    private static readonly string Profile = SeatbeltProfile.For(Room, ["/opt/homebrew/bin", Person + "/.nvm/versions/node/v20/bin"], ["/tmp/shared"], [Person, KonduktorHome, Work]);

    [GeneratedRegex("""^\((allow|deny) ([a-z*\- ]+?)((?: \([a-z-]+ (?:"(?:[^"\\]|\\.)*"|#"[^"]*"|[a-z-]+)\))*)\)$""")]
    private static partial Regex Rule();

    [GeneratedRegex("""\((subpath|literal|regex) (?:"((?:[^"\\]|\\.)*)"|#"([^"]*)")\)""")]
    private static partial Regex Filter();

    /// <summary>What Seatbelt decides for an operation on a path: the last file rule naming the operation whose filters match (or that has none).</summary>
    private static bool Allowed(string operation, string path)
    {
        var decision = false;
        foreach (var line in Profile.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(';')[0].Trim()))
        {
            if (Rule().Match(line) is not { Success: true } rule || !rule.Groups[2].Value.Split(' ').Contains(operation))
            {
                continue;
            }

            var filters = Filter().Matches(rule.Groups[3].Value);
            var matches = filters.Count == 0 || filters.Any(f => f.Groups[1].Value switch
            {
                "subpath" => SandboxPolicy.IsWithin(path, Regex.Unescape(f.Groups[2].Value)),
                "literal" => path == Regex.Unescape(f.Groups[2].Value),
                _ => Regex.IsMatch(path, f.Groups[3].Value),
            });
            if (matches)
            {
                decision = rule.Groups[1].Value == "allow";
            }
        }

        return decision;
    }

    [Fact]
    public void The_profile_denies_by_default_and_every_line_is_a_well_formed_rule()
    {
        var lines = Profile.Split('\n', StringSplitOptions.RemoveEmptyEntries);

        Assert.Equal(["(version 1)", "(deny default)"], lines.Take(2));
        Assert.All(lines.Skip(1).Select(l => l.Split(';')[0].Trim()), line => Assert.Matches(Rule(), line));
    }

    [Theory]
    [InlineData("/usr/bin/git")]
    [InlineData("/System/Library/Frameworks/Security.framework/Security")]
    [InlineData(Person + "/.nvm/versions/node/v20/bin/node")]
    [InlineData(Work + "/worktrees/origin/task-a/src/app.ts")]
    [InlineData(Mirror + "/objects/pack/pack-1.pack")]
    [InlineData(Mirror + "/config")]
    [InlineData(Mirror + "/worktrees/task-a/HEAD")]
    [InlineData(Work + "/homes/session/.claude/.credentials.json")]
    [InlineData(Work + "/sessions/s/system-prompt.md")]
    public void The_agent_reads_the_system_its_programs_and_its_room(string path) => Assert.True(Allowed("file-read*", path), path);

    [Theory]
    [InlineData(Person + "/.ssh/id_ed25519")]
    [InlineData(Person + "/.config/gh/hosts.yml")]
    [InlineData(Person + "/.aws/credentials")]
    [InlineData(KonduktorHome + "/token")]
    [InlineData(Work + "/transcripts/x.jsonl")]
    [InlineData(Work + "/repos/other.git/config")]
    [InlineData(Mirror + "/worktrees/task-b/HEAD")]
    [InlineData(Work + "/homes/other-session/.claude/.credentials.json")]
    [InlineData("/private/etc/master.passwd")]
    public void The_agent_reads_nothing_of_the_persons_or_konduktors(string path) => Assert.False(Allowed("file-read*", path), path);

    [Theory]
    [InlineData(Work + "/worktrees/origin/task-a/src/app.ts", true)]
    [InlineData(Mirror + "/objects/ab/cdef", true)]
    [InlineData(Mirror + "/worktrees/task-a/index", true)]
    [InlineData(Work + "/homes/session/.claude/projects/x.jsonl", true)]
    [InlineData("/private/tmp/shared/signal", true)]
    [InlineData("/dev/null", true)]
    [InlineData(Mirror + "/config", false)]
    [InlineData(Mirror + "/hooks/post-commit", false)]
    [InlineData(Mirror + "/worktrees/task-a/gitdir", false)]
    [InlineData(Mirror + "/worktrees/task-b/index", false)]
    [InlineData(Work + "/sessions/s/system-prompt.md", false)]
    [InlineData(Person + "/.bashrc", false)]
    [InlineData("/usr/local/bin/planted", false)]
    [InlineData("/private/tmp/elsewhere", false)]
    public void The_agent_writes_only_its_room_and_the_shared_folders(string path, bool allowed) => Assert.Equal(allowed, Allowed("file-write*", path));

    [Fact]
    public void Paths_are_quoted_as_seatbelt_reads_them()
    {
        Assert.Equal("\"/a \\\"b\\\" \\\\c\"", SeatbeltProfile.Quote("/a \"b\" \\c"));
        Assert.Equal("/private/tmp/x", SeatbeltProfile.AsSeatbeltSees("/tmp/x"));
        Assert.Equal("/tmpfiles/x", SeatbeltProfile.AsSeatbeltSees("/tmpfiles/x"));
    }
}

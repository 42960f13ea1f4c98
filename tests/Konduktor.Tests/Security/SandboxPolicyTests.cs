using Konduktor.Runner.Sandbox;

namespace Konduktor.Tests.Security;

/// <summary>
/// The sandbox's allow-list as the arguments it becomes: what an agent is shown, read-only or writable, and what never
/// appears — read without starting bubblewrap, so each rule fails on its own when it is broken.
/// </summary>
public sealed class SandboxPolicyTests
{
    private readonly string _root = Directory.CreateTempSubdirectory("konduktor-policy-").FullName;

    /// <summary>The pairs of an argument list that take a source and a destination, as (flag, path).</summary>
    private static List<(string Flag, string Path)> Binds(List<string> arguments)
    {
        var binds = new List<(string, string)>();
        for (var i = 0; i < arguments.Count; i++)
        {
            if (arguments[i] is "--bind" or "--ro-bind" or "--symlink")
            {
                binds.Add((arguments[i], arguments[i + 2]));
                i += 2;
            }
            else if (arguments[i] is "--tmpfs" or "--remount-ro" or "--dev" or "--proc" or "--chdir")
            {
                binds.Add((arguments[i], arguments[i + 1]));
                i++;
            }
        }

        return binds;
    }

    private AgentRoom Room()
    {
        var mirror = Directory.CreateDirectory(Path.Combine(_root, "repos", "origin.git")).FullName;
        foreach (var folder in new[] { "hooks", "info", "objects", "refs", "worktrees/task-a", "worktrees/task-b" })
        {
            Directory.CreateDirectory(Path.Combine(mirror, folder));
        }

        File.WriteAllText(Path.Combine(mirror, "config"), "[core]\n\tbare = true\n");
        var own = Path.Combine(mirror, "worktrees", "task-a");
        File.WriteAllText(Path.Combine(own, "commondir"), "../..\n");
        File.WriteAllText(Path.Combine(own, "gitdir"), "/somewhere/.git\n");
        var prompt = Path.Combine(_root, "system-prompt.md");
        File.WriteAllText(prompt, "Be good.");
        return new AgentRoom(Directory.CreateDirectory(Path.Combine(_root, "worktrees", "task-a")).FullName, mirror, own,
            Directory.CreateDirectory(Path.Combine(_root, "homes", "session")).FullName, [prompt]);
    }

    [Fact]
    public void The_system_is_read_only_without_capabilities_or_a_network_and_nothing_is_writable_but_the_shared_folders()
    {
        var shared = Directory.CreateDirectory(Path.Combine(_root, "shared")).FullName;

        var arguments = SandboxPolicy.SystemArguments([], [shared]);
        var binds = Binds(arguments);

        Assert.Equal(["--unshare-pid", "--unshare-ipc", "--unshare-net", "--cap-drop", "ALL"], arguments.Take(5));
        Assert.Contains(("--ro-bind", "/usr"), binds);
        Assert.DoesNotContain(binds, b => b.Path == "/" || b.Path == "/home" || b.Path == "/root" || b.Path == "/var");
        Assert.Equal([shared], binds.Where(b => b.Flag == "--bind").Select(b => b.Path));
        Assert.Contains(("--tmpfs", "/tmp"), binds);
        Assert.Contains(("--proc", "/proc"), binds);
    }

    [Fact]
    public void A_program_or_shared_folder_under_tmp_is_shown_over_the_private_tmp()
    {
        var program = Directory.CreateDirectory(Path.Combine(_root, "bin")).FullName;
        var shared = Directory.CreateDirectory(Path.Combine(_root, "shared")).FullName;

        var binds = Binds(SandboxPolicy.SystemArguments([program], [shared]));

        var tmp = binds.IndexOf(("--tmpfs", Path.GetPathRoot(_root) + _root.Split(Path.DirectorySeparatorChar)[1]));
        Assert.True(tmp >= 0, string.Join(' ', binds));
        Assert.True(binds.IndexOf(("--ro-bind", program)) > tmp, "the program folder is bound after the private /tmp");
        Assert.True(binds.IndexOf(("--bind", shared)) > tmp, "the shared folder is bound after the private /tmp");
    }

    [Fact]
    public void What_in_etc_holds_secrets_is_covered_even_where_etc_is_shown()
    {
        var binds = Binds(SandboxPolicy.SystemArguments([], []));

        if (File.Exists("/etc/shadow"))
        {
            var shadow = binds.FindIndex(b => b.Path == "/etc/shadow");
            Assert.True(shadow > binds.IndexOf(("--ro-bind", "/etc")), "the mask comes after /etc, so it wins");
        }

        if (Directory.Exists("/etc/ssh"))
        {
            Assert.Contains(("--tmpfs", "/etc/ssh"), binds);
            Assert.Contains(("--remount-ro", "/etc/ssh"), binds);
        }
    }

    [Fact]
    public void The_room_shows_its_worktree_and_repository_writable_but_the_repository_settings_read_only_and_other_worktrees_absent()
    {
        var room = Room();

        var binds = Binds(SandboxPolicy.RoomArguments(room));

        Assert.Contains(("--bind", room.Worktree), binds);
        Assert.Contains(("--bind", room.Mirror), binds);
        Assert.Contains(("--bind", room.Home), binds);
        foreach (var setting in new[] { "config", "hooks", "info" })
        {
            Assert.Contains(("--ro-bind", Path.Combine(room.Mirror, setting)), binds);
        }

        var worktrees = binds.IndexOf(("--tmpfs", Path.Combine(room.Mirror, "worktrees")));
        Assert.True(worktrees > binds.IndexOf(("--bind", room.Mirror)), "other worktrees' git folders are covered after the mirror is shown");
        Assert.True(binds.IndexOf(("--bind", room.WorktreeGitDirectory)) > worktrees, "its own git folder is shown again on top");
        Assert.Contains(("--ro-bind", Path.Combine(room.WorktreeGitDirectory, "commondir")), binds);
        Assert.Contains(("--ro-bind", Path.Combine(room.WorktreeGitDirectory, "gitdir")), binds);
        Assert.DoesNotContain(binds, b => b.Path.Contains("task-b", StringComparison.Ordinal));
        Assert.Contains(("--ro-bind", room.ReadOnlyFiles[0]), binds);
        Assert.Equal(("--chdir", room.Worktree), binds[^1]);
    }

    [Fact]
    public void Program_folders_never_include_one_that_holds_the_persons_home_or_a_hidden_folder()
    {
        var person = Directory.CreateDirectory(Path.Combine(_root, "home", "person")).FullName;
        var konduktorHome = Directory.CreateDirectory(Path.Combine(person, ".konduktor")).FullName;
        var konduktorBin = Directory.CreateDirectory(Path.Combine(konduktorHome, "bin")).FullName;
        var tools = Directory.CreateDirectory(Path.Combine(_root, "tools", "bin")).FullName;
        var agent = Path.Combine(Directory.CreateDirectory(Path.Combine(_root, "claude", "bin")).FullName, "claude");
        var path = string.Join(Path.PathSeparator, "/", Path.Combine(_root, "home"), konduktorBin, tools, "relative/bin", Path.Combine(_root, "missing"));

        var folders = SandboxPolicy.ProgramFolders(agent, konduktorBin, path, [konduktorHome], person);

        Assert.Contains(Path.GetDirectoryName(agent)!, folders);
        Assert.Contains(tools, folders);
        Assert.Contains(konduktorBin, folders); // named on purpose: the konduktor CLI the agent uses
        Assert.DoesNotContain("/", folders);
        Assert.DoesNotContain(Path.Combine(_root, "home"), folders);
        Assert.DoesNotContain(folders, f => !Path.IsPathFullyQualified(f) || f.EndsWith("missing", StringComparison.Ordinal));
        Assert.Single(folders, konduktorBin);
    }
}

using System.Diagnostics;
using Konduktor.Runner.Sandbox;
using Konduktor.Runner.Worker;

namespace Konduktor.Tests.Security;

/// <summary>
/// What an agent plants where the runner reads (its transcript, its worktree's git folder) — a link to a secret, a
/// FIFO that would block a reader forever, a sparse file of 2 GiB — is refused with a reason, never followed or read.
/// </summary>
public sealed class AgentWrittenFilesTests
{
    private readonly string _root = Directory.CreateTempSubdirectory("konduktor-agent-files-").FullName;

    [Fact]
    public void A_regular_file_inside_the_folder_is_read()
    {
        var file = Path.Combine(_root, "a", "transcript.jsonl");
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        File.WriteAllText(file, "{\"type\":\"user\"}\n");

        var read = AgentWrittenFiles.ReadRegular(file, _root, 1024);

        Assert.Null(read.Refusal);
        Assert.Equal("{\"type\":\"user\"}\n", System.Text.Encoding.UTF8.GetString(read.Content!));
    }

    [Fact]
    public void A_link_to_a_secret_is_not_followed_at_the_end_or_on_the_way()
    {
        var secret = Path.Combine(Directory.CreateTempSubdirectory("konduktor-secret-").FullName, "token");
        File.WriteAllText(secret, "the person's token");
        var link = Path.Combine(_root, "transcript.jsonl");
        File.CreateSymbolicLink(link, secret);
        Directory.CreateSymbolicLink(Path.Combine(_root, "folder"), Path.GetDirectoryName(secret)!);

        var atTheEnd = AgentWrittenFiles.ReadRegular(link, _root, 1024);
        var onTheWay = AgentWrittenFiles.ReadRegular(Path.Combine(_root, "folder", "token"), _root, 1024);

        Assert.Null(atTheEnd.Content);
        Assert.Contains("symbolic link", atTheEnd.Refusal, StringComparison.Ordinal);
        Assert.Null(onTheWay.Content);
        Assert.Contains("symbolic link", onTheWay.Refusal, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_fifo_is_refused_at_once_instead_of_waiting_for_a_writer()
    {
        var fifo = Path.Combine(_root, "transcript.jsonl");
        using (var mkfifo = Process.Start("mkfifo", [fifo]))
        {
            await mkfifo.WaitForExitAsync();
        }

        var read = await Task.Run(() => AgentWrittenFiles.ReadRegular(fifo, _root, 1024)).WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Null(read.Content);
        Assert.Contains("not a regular file", read.Refusal, StringComparison.Ordinal);
    }

    [Fact]
    public void A_sparse_file_of_two_gibibytes_is_refused_without_being_read()
    {
        var huge = Path.Combine(_root, "transcript.jsonl");
        using (var stream = File.Create(huge))
        {
            stream.SetLength(2L * 1024 * 1024 * 1024);
        }

        var before = GC.GetTotalAllocatedBytes();
        var read = AgentWrittenFiles.ReadRegular(huge, _root, ClaudeTranscripts.MaxBytes);

        Assert.Null(read.Content);
        Assert.Contains("over the", read.Refusal, StringComparison.Ordinal);
        Assert.True(GC.GetTotalAllocatedBytes() - before < 16 * 1024 * 1024, "nothing of the file was read");
    }

    [Fact]
    public void A_file_outside_the_folder_is_refused()
    {
        var outside = Path.Combine(Path.GetTempPath(), "konduktor-outside-" + Guid.NewGuid().ToString("N"));
        File.WriteAllText(outside, "x");

        var read = AgentWrittenFiles.ReadRegular(Path.Combine(_root, "..", Path.GetFileName(outside)), _root, 1024);

        Assert.Null(read.Content);
        Assert.Contains("outside", read.Refusal, StringComparison.Ordinal);
    }

    [Fact]
    public void Writing_where_the_agent_left_a_link_replaces_the_link_and_leaves_its_target_alone()
    {
        var target = Path.Combine(Directory.CreateTempSubdirectory("konduktor-persons-").FullName, ".bashrc");
        File.WriteAllText(target, "the person's profile\n");
        var planted = Path.Combine(_root, "konduktor-trailers");
        File.CreateSymbolicLink(planted, target);

        AgentWrittenFiles.Write(planted, _root, "Konduktor-Task: x\n");

        Assert.Equal("the person's profile\n", File.ReadAllText(target));
        Assert.Null(new FileInfo(planted).LinkTarget);
        Assert.Equal("Konduktor-Task: x\n", File.ReadAllText(planted));
    }

    [Fact]
    public void A_transcript_planted_as_a_link_is_not_taken_and_the_runner_keeps_nothing_of_its_target()
    {
        var home = Path.Combine(_root, "home");
        var work = Path.Combine(_root, "work");
        var conversation = Guid.NewGuid().ToString();
        var folder = Path.Combine(AgentHomes.Projects(home), "-w-task");
        Directory.CreateDirectory(folder);
        var secret = Path.Combine(Directory.CreateTempSubdirectory("konduktor-secret-").FullName, "token");
        File.WriteAllText(secret, "the person's token");
        File.CreateSymbolicLink(Path.Combine(folder, conversation + ".jsonl"), secret);

        var (kept, refusal) = ClaudeTranscripts.Take(home, work, conversation);

        Assert.Null(kept);
        Assert.Contains("symbolic link", refusal, StringComparison.Ordinal);
        Assert.False(File.Exists(ClaudeTranscripts.KeptPath(work, conversation)));
    }

    [Fact]
    public void A_transcript_that_is_a_regular_file_is_kept_in_the_runners_own_folder()
    {
        var home = Path.Combine(_root, "home");
        var work = Path.Combine(_root, "work");
        var conversation = Guid.NewGuid().ToString();
        var folder = Path.Combine(AgentHomes.Projects(home), "-w-task");
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, conversation + ".jsonl"), "{\"type\":\"user\"}\n");

        var (kept, refusal) = ClaudeTranscripts.Take(home, work, conversation);

        Assert.Null(refusal);
        Assert.Equal(ClaudeTranscripts.KeptPath(work, conversation), kept);
        Assert.Equal("{\"type\":\"user\"}\n", File.ReadAllText(kept!));
    }

    [Fact]
    public void The_runner_forgets_its_copies_of_transcripts_not_continued_for_a_month_and_keeps_the_rest()
    {
        var transcripts = Directory.CreateDirectory(Path.Combine(_root, "transcripts")).FullName;
        var (old, recent, other) = (Path.Combine(transcripts, $"{Guid.NewGuid()}.jsonl"), Path.Combine(transcripts, $"{Guid.NewGuid()}.jsonl"), Path.Combine(transcripts, "notes.txt"));
        foreach (var file in new[] { old, recent, other })
        {
            File.WriteAllText(file, "{}\n");
        }

        var now = DateTimeOffset.UtcNow;
        File.SetLastWriteTimeUtc(old, now.UtcDateTime - ClaudeTranscripts.KeptFor - TimeSpan.FromDays(1));
        File.SetLastWriteTimeUtc(other, now.UtcDateTime - ClaudeTranscripts.KeptFor - TimeSpan.FromDays(1));

        Assert.Equal(1, ClaudeTranscripts.ForgetOlderThan(_root, now - ClaudeTranscripts.KeptFor));
        Assert.False(File.Exists(old));
        Assert.True(File.Exists(recent) && File.Exists(other));
        Assert.Equal(0, ClaudeTranscripts.ForgetOlderThan(Path.Combine(_root, "nowhere"), now));
    }
}

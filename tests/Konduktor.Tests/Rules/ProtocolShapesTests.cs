using System.Text.Json;
using Konduktor.Core.Json;
using Konduktor.Core.Runners;
using Konduktor.Core.Sessions;
using Konduktor.Core.Tasks;

namespace Konduktor.Tests.Rules;

/// <summary>What the API writes (nulls left out), its clients read back: the runner protocol and session shapes.</summary>
public sealed class ProtocolShapesTests
{
    public static TheoryData<object> Replies() => new()
    {
        new HeartbeatReply([]),
        new HeartbeatReply([Guid.NewGuid()], new Uri("http://127.0.0.1:1/q?sig=x"), DateTimeOffset.UnixEpoch),
        new RunnerRegistration(Guid.NewGuid(), "r", "kr_x", 15, new Uri("http://127.0.0.1:1/q"), DateTimeOffset.UnixEpoch),
        new RunnerRegistration(Guid.NewGuid(), "r", "kr_x", 15),
        new JobMessage("m", "p", "{}", 1),
        new Konduktor.Core.Agents.AgentRun(DateTimeOffset.UnixEpoch, Konduktor.Core.Agents.AgentRunOutcome.Skipped, Reason: "busy"),
        new Konduktor.Core.Questions.NewQuestion("Why?"),
        new Konduktor.Core.Docs.DocChanges(Content: "x"),
        new LogPage([new LogEvent(1, DateTimeOffset.UnixEpoch, "stdout", "{}")], 1, SessionStatus.Running, false),
        new Session { Id = Guid.NewGuid(), WorkspaceId = Guid.NewGuid(), Kind = SessionKind.AutoFixCi, Status = SessionStatus.Queued, CreatedAt = DateTimeOffset.UnixEpoch, Version = "v" },
        new SessionJob
        {
            Session = new Session { Id = Guid.NewGuid(), WorkspaceId = Guid.NewGuid(), Kind = SessionKind.Task, Status = SessionStatus.Claimed, CreatedAt = DateTimeOffset.UnixEpoch, Version = "v" },
            WorkspaceName = "w", Repository = "/r", DefaultBranch = "main", Branch = "konduktor/x", Prompt = "p", SystemPrompt = "s", PermissionMode = "plan", Token = "ks_x",
        },
        new SessionReport { Status = SessionStatus.Failed },
        new SessionSummary(Guid.NewGuid(), "running", true),
        new Konduktor.Core.Projects.PhaseView(Guid.NewGuid(), 1, "Model", Konduktor.Core.Projects.PhaseState.Open, 0, 1, [new Konduktor.Core.Projects.PhaseTask(Guid.NewGuid(), "abcd1234", "t", "To do")]),
        new Konduktor.Core.Projects.Approval(),
        new HeartbeatReply([], AccountLimit: new Konduktor.Core.Quota.UsageLimit("rejected", "five_hour", DateTimeOffset.UnixEpoch)),
        new SessionReport { Status = SessionStatus.WaitingForQuota, UsageLimit = new Konduktor.Core.Quota.UsageLimit("rejected") },
        new Konduktor.Core.Quota.UsageReport("w", new DateOnly(2026, 11, 3), new DateOnly(2026, 12, 2), [new Konduktor.Core.Quota.UsageDay(new DateOnly(2026, 12, 2), 1.25m, 2)],
            [new Konduktor.Core.Quota.UsageTotal(Guid.NewGuid().ToString(), 1.25m, 2, "A task")], [], DateTimeOffset.UnixEpoch, 20m),
        new Konduktor.Core.Changes.ChangeSet
        {
            Branch = "konduktor/x", Base = "main", BaseCommit = "a", HeadCommit = "b", Diff = "diff --git a/x b/x\n",
            Files = [new Konduktor.Core.Changes.ChangedFile("x", 1, 0), new Konduktor.Core.Changes.ChangedFile("y.bin", null, null, OldPath: "z.bin")],
            Commits = [new Konduktor.Core.Changes.ChangeCommit("b", "Agent", DateTimeOffset.UnixEpoch, "Add x", ["Co-authored-by: A <a@example.com>"])],
        },
        new RunnerInfo
        {
            Id = Guid.NewGuid(), Name = "r", Capacity = 2, ActiveSessions = [], RegisteredAt = DateTimeOffset.UnixEpoch, Online = true, Account = "team@example.com",
            AccountLimit = new Konduktor.Core.Quota.AccountLimit("team@example.com", "rejected", DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch),
        },
    };

    [Theory]
    [MemberData(nameof(Replies))]
    public void A_reply_with_its_nulls_left_out_reads_back_equal(object reply)
    {
        var json = JsonSerializer.Serialize(reply, reply.GetType(), KonduktorJson.Options);

        var back = JsonSerializer.Deserialize(json, reply.GetType(), KonduktorJson.Options);

        Assert.Equal(json, JsonSerializer.Serialize(back, reply.GetType(), KonduktorJson.Options));
    }

    [Theory]
    [MemberData(nameof(Replies))]
    public void The_native_cli_reads_and_writes_each_shape_as_the_host_does(object reply)
    {
        // The native `konduktor` has no reflection: only the generated context, with the same options.
        var generated = new JsonSerializerOptions(KonduktorJson.Options) { TypeInfoResolver = WireJsonContext.Default };
        var json = JsonSerializer.Serialize(reply, reply.GetType(), KonduktorJson.Options);

        var back = JsonSerializer.Deserialize(json, generated.GetTypeInfo(reply.GetType()));

        Assert.Equal(json, JsonSerializer.Serialize(back, generated.GetTypeInfo(reply.GetType())));
    }

    [Fact]
    public void Session_kinds_are_written_as_the_cli_spells_them() =>
        Assert.Equal("\"auto-fix-conflicts\"", JsonSerializer.Serialize(SessionKind.AutoFixConflicts, KonduktorJson.Options));
}

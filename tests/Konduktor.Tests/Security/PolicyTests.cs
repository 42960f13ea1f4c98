using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Konduktor.LocalHost;
using Konduktor.LocalHost.Bindings;
using Konduktor.Core.Auth;
using Konduktor.Core.Runners;
using Konduktor.Tests.Infrastructure;

namespace Konduktor.Tests.Security;

/// <summary>
/// Who may do what, route by route: the spec below is what a reviewer signs off, and every route is called with a
/// person's, a runner's and an agent session's credential — each kind the spec leaves out is refused by the policy,
/// each kind it names gets past it.
/// </summary>
public sealed partial class PolicyTests(AzuriteFixture azurite)
{
    private const string P = "person";
    private const string R = "runner";
    private const string S = "session";

    /// <summary>Every HTTP function and the kinds of caller allowed through it (system actors never come through HTTP).</summary>
    private static readonly Dictionary<string, string[]> Spec = new()
    {
        ["GetStatus"] = [P, R, S],
        ["GetStorageOperations"] = [P],
        ["CreateWorkspace"] = [P], ["DeleteWorkspace"] = [P], ["ListWorkspaces"] = [P, S], ["GetWorkspace"] = [P, S],
        ["GetConfig"] = [P, S], ["SetConfig"] = [P], ["GetWebhook"] = [P], ["RegisterWebhook"] = [P],
        ["ListSecrets"] = [P], ["SetSecret"] = [P], ["DeleteSecret"] = [P], ["GetUsage"] = [P, S],
        ["CreateTask"] = [P, S], ["ListTasks"] = [P, S], ["GetTask"] = [P, S], ["UpdateTask"] = [P, S], ["MoveTask"] = [P, S], ["DeleteTask"] = [P], ["GetBoard"] = [P, S], ["WaitForBoardChanges"] = [P, S],
        ["RunTask"] = [P, S], ["ResumeTask"] = [P, S], ["StopTask"] = [P, S], ["StopSession"] = [P, S], ["SayToTask"] = [P], ["ListTaskMessages"] = [P, S],
        ["ListSessions"] = [P, S], ["GetSession"] = [P, S], ["ReadSessionLogs"] = [P, S], ["ReadSessionEntries"] = [P, S],
        ["CreateProject"] = [P, S], ["ListProjects"] = [P, S], ["GetProject"] = [P, S], ["GetPhaseReview"] = [P, S], ["TagProject"] = [P, S], ["RunReadyTasks"] = [P, S],
        ["AddPhase"] = [P], ["UpdatePhase"] = [P], ["RemovePhase"] = [P], ["StartProject"] = [P], ["ApprovePhase"] = [P],
        ["AskQuestion"] = [P, S], ["ListQuestions"] = [P, S], ["GetQuestion"] = [P, S], ["AnswerQuestion"] = [P], ["ConfirmQuestion"] = [P], ["DismissQuestion"] = [P],
        ["CreateDoc"] = [P, S], ["ListDocs"] = [P, S], ["GetDoc"] = [P, S], ["DocHistory"] = [P, S], ["UpdateDoc"] = [P, S], ["DeleteDoc"] = [P],
        ["ReviewPullRequest"] = [P, S], ["CommentOnPullRequest"] = [P, S], ["OpenTaskPullRequest"] = [P, S],
        ["ListAgentPresets"] = [P, S], ["ListAgents"] = [P, S], ["GetAgent"] = [P, S], ["CreateAgent"] = [P], ["UpdateAgent"] = [P], ["RunAgentNow"] = [P], ["DeleteAgent"] = [P],
        ["RegisterRunner"] = [P], ["AddRunner"] = [P], ["RemoveRunner"] = [P], ["ListRunners"] = [P],
        ["ReceiveJobs"] = [R], ["DeleteJob"] = [R], ["RunnerHeartbeat"] = [R], ["ClaimSession"] = [R], ["ReportSession"] = [R], ["AppendSessionLogs"] = [R],
        ["SaveTranscript"] = [R], ["LoadTranscript"] = [R], ["ReadSessionInbox"] = [R], ["DeliverSessionMessages"] = [R], ["SaveChanges"] = [R], ["GetTaskChanges"] = [P, S], ["WorktreeTaskStates"] = [R], ["PoisonJob"] = [R],
    };

    /// <summary>Routes that take no token: the caller proves itself another way (checked by their own tests), or the route is the public contract.</summary>
    private static readonly string[] Signed = ["GitHubWebhook", "ExchangeRunnerSecret", "GetOpenApiDocument"];

    [Fact]
    public async Task Every_route_lets_through_exactly_the_kinds_of_caller_the_policy_names()
    {
        await using var up = await KonduktorUp.StartAsync(storage: azurite.ConnectionString);
        var driver = new SessionDriver(up);
        var (workspace, _) = await driver.CreateWorkspaceAsync();
        await using var held = await driver.HoldSessionTokenAsync(workspace);
        using var person = up.Http();
        var registered = await person.PostAsJsonAsync("api/runners", new RegisterRunner { Name = "policy-probe" }, SessionsHost.Json);
        registered.EnsureSuccessStatusCode();
        var credentials = new Dictionary<string, string>
        {
            [P] = up.Token,
            [R] = (await registered.Content.ReadFromJsonAsync<RunnerRegistration>(SessionsHost.Json))!.Token,
            [S] = held.Token,
        };

        var functions = FunctionEndpoints.Discover(typeof(Konduktor.Functions.SessionFunctions).Assembly);
        Assert.Equal(functions.Select(f => f.Name).Except(Signed).Order(), Spec.Keys.Order());
        var checkedCalls = 0;
        foreach (var function in functions.Where(f => !Signed.Contains(f.Name)))
        {
            // The agent's own workspace, so its session is in scope; ids that match nothing, so no call changes what the others see.
            var path = "api/" + Placeholder().Replace(function.Route.Replace("{workspace}", workspace, StringComparison.Ordinal),
                m => m.Value.EndsWith(":int}", StringComparison.Ordinal) ? "1" : "abcd1234");
            foreach (var (kind, token) in credentials)
            {
                using var http = up.Http(token);
                var method = function.HttpMethods[0];
                using var request = new HttpRequestMessage(new HttpMethod(method), path) { Content = method is "GET" or "DELETE" ? null : JsonContent.Create(new { }) };
                using var response = await http.SendAsync(request, TestContext.Current.CancellationToken);
                var refusedByPolicy = response.StatusCode == HttpStatusCode.Forbidden
                    && JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("detail").GetString() is { } detail
                    && detail.Contains(" may not ", StringComparison.Ordinal) && detail.Contains(": only ", StringComparison.Ordinal);
                var allowed = Spec[function.Name].Contains(kind);
                Assert.True(allowed != refusedByPolicy, $"{function.Name} ({method} {path}) as a {kind}: {(allowed ? "refused by the policy" : "let through")}, {(int)response.StatusCode}");
                Assert.NotEqual(HttpStatusCode.Unauthorized, response.StatusCode);
                checkedCalls++;
            }
        }

        Assert.Equal(Spec.Count * 3, checkedCalls);
    }

    [Fact]
    public void Konduktor_itself_may_read_change_and_run_tasks_but_never_does_what_only_a_person_may()
    {
        foreach (var act in Enum.GetValues<Act>())
        {
            var kinds = Policy.KindsAllowed(act);
            Assert.NotEmpty(kinds);
            Assert.Equal(act is Act.ReadWorkspace or Act.ChangeTasks or Act.RunTasks or Act.AskQuestions, kinds.Contains(PrincipalKind.System));
        }

        var refusal = Policy.Authorize(new Principal(PrincipalKind.Session, "session abcd1234"), Act.ApprovePhases).Failure;
        Assert.Equal("an agent's session may not approve a project's phase: only people may", refusal?.Message);
        Assert.True(Policy.Authorize(Principal.Konduktor("auto-fix"), Act.RunTasks).IsSuccess);
    }

    [Fact]
    public void The_contract_names_for_every_route_exactly_the_callers_the_spec_names()
    {
        var document = Konduktor.Core.Contract.OpenApiDocument.Build();
        var named = new Dictionary<string, string[]>();
        foreach (var (_, item) in document["paths"]!.AsObject())
        {
            foreach (var (_, operation) in item!.AsObject())
            {
                named[operation!["operationId"]!.GetValue<string>()] = [.. operation["x-konduktor-callers"]!.AsArray().Select(c => c!.GetValue<string>())];
            }
        }

        Assert.Equal(Spec.Keys.Concat(Signed).Order(), named.Keys.Order());
        foreach (var (name, kinds) in Spec)
        {
            Assert.Equal(kinds.Order(), named[name].Order());
        }

        Assert.All(Signed, name => Assert.Equal(["anyone"], named[name]));
    }

    [GeneratedRegex("{[^}]+}")]
    private static partial Regex Placeholder();
}

using Konduktor.LocalHost;
using Konduktor.LocalHost.Bindings;
using System.Net;
using Konduktor.Tests.Infrastructure;

namespace Konduktor.Tests.EndToEnd;

public sealed class UpLifecycleTests
{
    [Fact]
    public async Task Up_starts_its_own_azurite_and_a_restart_keeps_every_workspace_and_task()
    {
        var home = KonduktorUp.NewHome();
        await using (var first = await KonduktorUp.StartAsync(home))
        {
            Assert.Contains("Starting Azurite", first.Output, StringComparison.Ordinal);
            await first.CliAsync("workspaces", "create", "myorg/kept");
            Assert.Equal(0, (await first.CliAsync("-w", "kept", "tasks", "create", "--title", "survives a restart")).ExitCode);

            var second = await KonduktorCli.RunAsync(home, ["up", "--port", "0"]);
            Assert.Equal(1, second.ExitCode);
            Assert.Contains("already running", second.Error, StringComparison.Ordinal);

            var status = await first.CliAsync("status");
            Assert.Contains("is ok", status.Output, StringComparison.Ordinal);

            var exitCode = await first.StopAsync();
            Assert.True(exitCode == 0, $"up exited with {exitCode}:\n{first.Output}");
            Assert.Contains("Konduktor stopped.", first.Output, StringComparison.Ordinal);
        }

        Assert.False(File.Exists(Path.Combine(home, "up.json")));
        await using var restarted = await KonduktorUp.StartAsync(home);
        var list = await restarted.CliAsync("-w", "kept", "tasks", "list");
        Assert.Contains("survives a restart", list.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Up_on_a_port_something_else_listens_on_says_so_in_one_line_and_starts_nothing()
    {
        using var taken = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port;
        var home = KonduktorUp.NewHome();

        var up = await KonduktorCli.RunAsync(home, ["up", "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture)]);

        Assert.Equal(1, up.ExitCode);
        Assert.Equal($"error: port {port} is in use: stop what listens on it (another `konduktor up`?), or choose another with --port (0 takes any free one)", up.Error.Trim());
        Assert.DoesNotContain("Starting", up.Output, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(home, "up.json")));
    }

    [Fact]
    public async Task Status_reports_storage_operations_counted_by_the_pipeline_policy()
    {
        var home = KonduktorUp.NewHome();
        await using var up = await KonduktorUp.StartAsync(home);
        await up.CliAsync("workspaces", "create", "myorg/app");

        var status = await up.CliAsync("status", "--storage-ops");

        Assert.Equal(0, status.ExitCode);
        Assert.Matches(@"table batch\s+1", status.Output);
        Assert.Matches(@"Storage requests since the host started: [1-9]", status.Output);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("not-the-token")]
    [InlineData("kr_00000000000000000000000000000000_forged")]
    [InlineData("ks_00000000000000000000000000000000_00000000000000000000000000000000_forged")]
    public async Task Every_route_refuses_a_request_without_the_right_token(string? token)
    {
        await using var up = await KonduktorUp.StartAsync(KonduktorUp.NewHome(), extraArguments: ["--no-runner"]);
        using var http = up.Http(token);
        var functions = FunctionEndpoints.Discover(typeof(Konduktor.Functions.SessionFunctions).Assembly);
        Assert.True(functions.Count >= 20, $"only {functions.Count} functions discovered");

        // The GitHub webhook's credential is its signature, not a token: WebhookTests refuse unsigned deliveries. The
        // contract itself is public (it holds no data): ContractTests read it without a token.
        foreach (var function in functions.Where(f => !f.Route.StartsWith("github/webhooks", StringComparison.Ordinal) && f.Name != Konduktor.Core.Contract.Operations.GetOpenApiDocument.Name))
        {
            var path = "api/" + System.Text.RegularExpressions.Regex.Replace(
                System.Text.RegularExpressions.Regex.Replace(function.Route, "{[^}:]+:int}", "1"), "{[^}]+}", "abcd1234");
            foreach (var method in function.HttpMethods)
            {
                using var request = new HttpRequestMessage(new HttpMethod(method), path) { Content = method is "GET" or "DELETE" ? null : new StringContent("{}") };
                using var response = await http.SendAsync(request, TestContext.Current.CancellationToken);
                Assert.True(response.StatusCode == HttpStatusCode.Unauthorized, $"{method} {path} answered {(int)response.StatusCode}");
                Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            }
        }
    }
}

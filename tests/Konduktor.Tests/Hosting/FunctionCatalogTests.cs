using System.Text.Json;
using Konduktor.LocalHost;
using Konduktor.LocalHost.Bindings;

namespace Konduktor.Tests.Hosting;

/// <summary>
/// `up` serves what Azure serves: the local host's one catalog of functions is compared with the metadata the Functions
/// SDK generates for the Functions host (every function, entry point, trigger, route, method, schedule and queue), and
/// every function's parameters bind.
/// </summary>
public sealed class FunctionCatalogTests
{
    private static readonly IReadOnlyList<FunctionDefinition> Catalog = FunctionCatalog.Discover(typeof(Konduktor.Functions.SessionFunctions).Assembly);

    [Fact]
    public void The_local_host_serves_every_function_of_the_sdks_metadata_with_the_same_trigger()
    {
        var metadata = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "functions.metadata"))).RootElement.EnumerateArray()
            .Select(Describe).OrderBy(d => d, StringComparer.Ordinal).ToList();
        var served = Catalog.Select(Describe).OrderBy(d => d, StringComparer.Ordinal).ToList();

        Assert.True(metadata.Count > 70, $"only {metadata.Count} functions in the SDK's metadata");
        Assert.Equal(metadata, served);
    }

    [Fact]
    public void Every_http_function_serves_exactly_one_operation_of_the_contract_with_its_method_and_route()
    {
        var served = Catalog.Where(f => f.Trigger == TriggerKind.Http).Select(f => $"{f.Name} {string.Join(',', f.HttpMethods)} {f.Route}").Order().ToList();
        var contract = Konduktor.Core.Contract.Operations.All.Select(o => $"{o.Name} {o.Method} {o.Route}").Order().ToList();

        Assert.True(contract.Count > 70, $"only {contract.Count} operations in the contract");
        Assert.Equal(contract, served);
    }

    [Fact]
    public void Every_functions_parameters_bind_before_the_host_starts()
    {
        var invokers = Catalog.Select(FunctionInvoker.For).ToList();

        Assert.Equal(Catalog.Count, invokers.Count);
        Assert.Contains(Catalog, f => f.Trigger == TriggerKind.Timer);
        Assert.Contains(Catalog, f => f.Trigger == TriggerKind.Queue);
        Assert.Contains(Catalog, f => f.Trigger == TriggerKind.Orchestration);
        Assert.Contains(Catalog, f => f.Trigger == TriggerKind.Activity);
    }

    [Fact]
    public void A_parameter_the_local_host_cannot_fill_fails_at_start_naming_the_function()
    {
        var method = typeof(Unservable).GetMethod(nameof(Unservable.Run))!;
        var function = new FunctionDefinition("Unservable", method, TriggerKind.Timer, method.GetParameters()[0]);

        var refused = Assert.Throws<InvalidOperationException>(() => FunctionInvoker.For(function));

        Assert.Contains("Unservable.Run(context)", refused.Message, StringComparison.Ordinal);
    }

    /// <summary>One line per function, the same shape from the SDK's JSON and from the catalog.</summary>
    private static string Describe(JsonElement function)
    {
        var trigger = function.GetProperty("bindings").EnumerateArray().Single(b => b.GetProperty("type").GetString()!.EndsWith("Trigger", StringComparison.Ordinal));
        var type = trigger.GetProperty("type").GetString();
        var detail = type switch
        {
            "httpTrigger" => $"{string.Join(',', trigger.GetProperty("methods").EnumerateArray().Select(m => m.GetString()!.ToLowerInvariant()).Order())} {trigger.GetProperty("route").GetString()}",
            "timerTrigger" => trigger.GetProperty("schedule").GetString(),
            "queueTrigger" => trigger.GetProperty("queueName").GetString(),
            _ => "",
        };
        return $"{function.GetProperty("name").GetString()} {function.GetProperty("entryPoint").GetString()} {type}({trigger.GetProperty("name").GetString()}) {detail}";
    }

    private static string Describe(FunctionDefinition function)
    {
        var type = function.Trigger switch
        {
            TriggerKind.Http => "httpTrigger",
            TriggerKind.Timer => "timerTrigger",
            TriggerKind.Queue => "queueTrigger",
            TriggerKind.Orchestration => "orchestrationTrigger",
            _ => "activityTrigger",
        };
        var detail = function.Trigger switch
        {
            TriggerKind.Http => $"{string.Join(',', function.HttpMethods.Select(m => m.ToLowerInvariant()).Order())} {function.Route}",
            TriggerKind.Timer => function.Schedule,
            TriggerKind.Queue => function.Queue,
            _ => "",
        };
        return $"{function.Name} {function.EntryPoint} {type}({function.TriggerParameter.Name}) {detail}";
    }

    private sealed class Unservable
    {
        public static void Run([Microsoft.Azure.Functions.Worker.TimerTrigger("* * * * * *")] Microsoft.Azure.Functions.Worker.TimerInfo timer, Microsoft.Azure.Functions.Worker.FunctionContext context)
        {
        }
    }
}

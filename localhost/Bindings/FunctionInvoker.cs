using System.Reflection;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask;
using Microsoft.Extensions.DependencyInjection;

namespace Konduktor.LocalHost.Bindings;

/// <summary>What a trigger hands its function: the scope's services, the trigger's value, the request (HTTP) and the orchestration's input.</summary>
public sealed record Invocation(IServiceProvider Services, object? TriggerValue, CancellationToken Cancellation, HttpContext? Http = null, object? Input = null);

/// <summary>
/// Calls a function as the Functions worker does, with one set of binding rules for every trigger, decided once per
/// function at start-up (a parameter it cannot fill fails the start, not an invocation): the trigger parameter gets the
/// trigger's value (HttpRequest, TimerInfo, a queue message as text or read as its type, the orchestration context, an
/// activity's input as its type); an HTTP function's other strings and value types are route values by name; an
/// orchestrator's other parameter is its input; a CancellationToken is the invocation's; anything else comes from DI.
/// </summary>
public sealed class FunctionInvoker
{
    private readonly FunctionDefinition _function;
    private readonly Func<Invocation, object?>[] _arguments;

    private FunctionInvoker(FunctionDefinition function, Func<Invocation, object?>[] arguments) => (_function, _arguments) = (function, arguments);

    public FunctionDefinition Function => _function;

    public static FunctionInvoker For(FunctionDefinition function) =>
        new(function, function.Method.GetParameters().Select(p => Argument(function, p)).ToArray());

    /// <summary>Runs the function: an instance of its class from DI (per invocation), its result once awaited.</summary>
    public async Task<object?> InvokeAsync(Invocation invocation)
    {
        var target = _function.Method.IsStatic ? null : ActivatorUtilities.GetServiceOrCreateInstance(invocation.Services, _function.Method.DeclaringType!);
        var result = _function.Method.Invoke(target, BindingFlags.DoNotWrapExceptions, binder: null, _arguments.Select(a => a(invocation)).ToArray(), culture: null);
        if (result is not Task task)
        {
            return result;
        }

        await task;
        var declared = _function.Method.ReturnType;
        return declared.IsGenericType && declared.GetGenericTypeDefinition() == typeof(Task<>) ? declared.GetProperty(nameof(Task<object>.Result))!.GetValue(task) : null;
    }

    private static Func<Invocation, object?> Argument(FunctionDefinition function, ParameterInfo parameter)
    {
        var type = parameter.ParameterType;
        if (parameter == function.TriggerParameter || parameter.Position == function.TriggerParameter.Position)
        {
            return TriggerValue(function, type);
        }

        if (type == typeof(CancellationToken))
        {
            return invocation => invocation.Cancellation;
        }

        if (type == typeof(FunctionContext))
        {
            throw Unbindable(function, parameter, "FunctionContext is not supplied by the local host");
        }

        if (function.Trigger == TriggerKind.Http && (type == typeof(string) || type.IsValueType))
        {
            var name = parameter.Name!;
            var target = Nullable.GetUnderlyingType(type) ?? type;
            return invocation => invocation.Http!.GetRouteValue(name) is { } value
                ? target == typeof(string) ? value.ToString() : Convert.ChangeType(value.ToString(), target, System.Globalization.CultureInfo.InvariantCulture)
                : null;
        }

        if (function.Trigger == TriggerKind.Orchestration)
        {
            return invocation => Read(invocation.Input, type);
        }

        return invocation => invocation.Services.GetRequiredService(type);
    }

    private static Func<Invocation, object?> TriggerValue(FunctionDefinition function, Type type) => function.Trigger switch
    {
        TriggerKind.Http when type == typeof(HttpRequest) => invocation => invocation.Http!.Request,
        TriggerKind.Timer when type == typeof(TimerInfo) => _ => new TimerInfo(),
        TriggerKind.Queue when type == typeof(string) => invocation => invocation.TriggerValue,
        TriggerKind.Queue => invocation => JsonSerializer.Deserialize((string)invocation.TriggerValue!, type, JsonSerializerOptions.Web),
        TriggerKind.Orchestration when type == typeof(TaskOrchestrationContext) => invocation => invocation.TriggerValue,
        TriggerKind.Activity => invocation => Read(invocation.TriggerValue, type),
        _ => throw Unbindable(function, function.TriggerParameter, $"a {function.Trigger} trigger cannot be given as {type.Name}"),
    };

    /// <summary>Durable inputs arrive as JSON (the worker serialized them with its default options): read as the declared type.</summary>
    private static object? Read(object? input, Type type) => input is JsonElement json ? json.Deserialize(type) : input;

    private static InvalidOperationException Unbindable(FunctionDefinition function, ParameterInfo parameter, string why) =>
        new($"{function.EntryPoint}({parameter.Name}): {why}");
}

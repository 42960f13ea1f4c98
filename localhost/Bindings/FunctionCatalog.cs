using System.Reflection;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Extensions.Abstractions;

namespace Konduktor.LocalHost.Bindings;

public enum TriggerKind
{
    Http,
    Timer,
    Queue,
    Orchestration,
    Activity,
}

/// <summary>One function of the Functions app as the local host serves it: its name, entry point and trigger.</summary>
public sealed record FunctionDefinition(string Name, MethodInfo Method, TriggerKind Trigger, ParameterInfo TriggerParameter)
{
    /// <summary>HTTP: the methods it answers, lower case as the trigger declares them.</summary>
    public IReadOnlyList<string> HttpMethods { get; init; } = [];

    /// <summary>HTTP: the route under <c>/api</c>.</summary>
    public string Route { get; init; } = "";

    /// <summary>Timer: its NCRONTAB schedule (with seconds).</summary>
    public string? Schedule { get; init; }

    /// <summary>Queue: the queue it reads.</summary>
    public string? Queue { get; init; }

    /// <summary>The method, named as the Functions SDK's metadata names it.</summary>
    public string EntryPoint => $"{Method.DeclaringType!.FullName}.{Method.Name}";
}

/// <summary>
/// Every function of the Functions app, found as the Functions SDK finds them: a public method with
/// <see cref="FunctionAttribute"/> and one trigger parameter. One discovery for the local host's HTTP endpoints, timers,
/// queues and orchestrations; a trigger it cannot serve fails <c>up</c> at start, so the local host cannot quietly
/// serve less than Azure does (a test compares it with the SDK's generated <c>functions.metadata</c>).
/// </summary>
public static class FunctionCatalog
{
    public static IReadOnlyList<FunctionDefinition> Discover(Assembly assembly) =>
        (from type in assembly.GetTypes()
         where type is { IsClass: true } && !(type.IsAbstract && !type.IsSealed)
         from method in type.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly)
         let function = method.GetCustomAttribute<FunctionAttribute>()
         where function is not null
         select Define(function.Name, method))
        .OrderBy(f => f.Name, StringComparer.Ordinal)
        .ToList();

    private static FunctionDefinition Define(string name, MethodInfo method)
    {
        foreach (var parameter in method.GetParameters())
        {
            switch (parameter.GetCustomAttributes().FirstOrDefault(a => a is BindingAttribute))
            {
                case HttpTriggerAttribute http:
                    return new FunctionDefinition(name, method, TriggerKind.Http, parameter) { HttpMethods = http.Methods ?? ["get", "post"], Route = http.Route ?? name };
                case TimerTriggerAttribute timer:
                    return new FunctionDefinition(name, method, TriggerKind.Timer, parameter) { Schedule = timer.Schedule };
                case QueueTriggerAttribute queue:
                    return new FunctionDefinition(name, method, TriggerKind.Queue, parameter) { Queue = queue.QueueName };
                case OrchestrationTriggerAttribute:
                    return new FunctionDefinition(name, method, TriggerKind.Orchestration, parameter);
                case ActivityTriggerAttribute:
                    return new FunctionDefinition(name, method, TriggerKind.Activity, parameter);
                case { } other:
                    throw new InvalidOperationException($"function {name}: the local host cannot serve a {other.GetType().Name} yet");
            }
        }

        throw new InvalidOperationException($"function {name} has no trigger parameter");
    }
}

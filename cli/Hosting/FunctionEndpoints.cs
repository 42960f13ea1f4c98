using System.Reflection;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Abstractions;
using Microsoft.AspNetCore.Routing;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.DependencyInjection;

namespace Konduktor.Cli.Hosting;

/// <summary>
/// Serves the Functions app's own HTTP functions in a plain ASP.NET Core host: every method with
/// <see cref="FunctionAttribute"/> and an <see cref="HttpTriggerAttribute"/> parameter becomes an endpoint with the
/// trigger's methods and route (under <c>/api</c>, as in host.json). Parameters bind as the Functions worker binds them:
/// the HttpRequest, route values by name, the cancellation token, and services from DI. No second copy of the routes.
/// </summary>
public static class FunctionEndpoints
{
    public const string RoutePrefix = "api";

    public static IReadOnlyList<HttpFunction> Discover(Assembly assembly) =>
        assembly.GetTypes()
            .Where(t => t is { IsClass: true, IsAbstract: false })
            .SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static))
            .Select(m => (Method: m, Function: m.GetCustomAttribute<FunctionAttribute>(),
                Trigger: m.GetParameters().Select(p => p.GetCustomAttribute<HttpTriggerAttribute>()).FirstOrDefault(a => a is not null)))
            .Where(x => x.Function is not null && x.Trigger is not null)
            .Select(x => new HttpFunction(x.Function!.Name, x.Method, x.Trigger!.Methods ?? ["get", "post"], x.Trigger.Route ?? x.Function.Name))
            .OrderBy(f => f.Route, StringComparer.Ordinal)
            .ToList();

    public static void Map(WebApplication app, IReadOnlyList<HttpFunction> functions)
    {
        foreach (var function in functions)
        {
            var bind = Binder(function.Method);
            app.MapMethods($"/{RoutePrefix}/{function.Route}", function.Methods.Select(m => m.ToUpperInvariant()), async (HttpContext http) =>
            {
                var target = function.Method.IsStatic ? null : ActivatorUtilities.GetServiceOrCreateInstance(http.RequestServices, function.Method.DeclaringType!);
                var result = function.Method.Invoke(target, bind(http));
                var actionResult = result switch
                {
                    Task<IActionResult> task => await task,
                    IActionResult value => value,
                    Task task => await Completed(task),
                    _ => new StatusCodeResult(StatusCodes.Status204NoContent),
                };
                await actionResult.ExecuteResultAsync(new ActionContext(http, http.GetRouteData(), new ActionDescriptor()));
            }).WithName(function.Name);
        }
    }

    private static async Task<IActionResult> Completed(Task task)
    {
        await task;
        return new StatusCodeResult(StatusCodes.Status204NoContent);
    }

    /// <summary>Decides once, at start-up, how to fill each parameter; an unbindable parameter fails the start, not a request.</summary>
    private static Func<HttpContext, object?[]> Binder(MethodInfo method)
    {
        var binders = method.GetParameters().Select<ParameterInfo, Func<HttpContext, object?>>(p =>
        {
            if (p.ParameterType == typeof(HttpRequest))
            {
                return http => http.Request;
            }

            if (p.ParameterType == typeof(CancellationToken))
            {
                return http => http.RequestAborted;
            }

            if (p.ParameterType == typeof(FunctionContext))
            {
                throw new InvalidOperationException($"{method.DeclaringType?.Name}.{method.Name}: FunctionContext is not supplied by the local host yet");
            }

            if (p.ParameterType == typeof(string) || p.ParameterType.IsValueType)
            {
                var name = p.Name!;
                var type = Nullable.GetUnderlyingType(p.ParameterType) ?? p.ParameterType;
                return http => http.GetRouteValue(name) is { } value
                    ? type == typeof(string) ? value.ToString() : Convert.ChangeType(value.ToString(), type, System.Globalization.CultureInfo.InvariantCulture)
                    : null;
            }

            return http => http.RequestServices.GetRequiredService(p.ParameterType);
        }).ToArray();
        return http => binders.Select(b => b(http)).ToArray();
    }
}

public sealed record HttpFunction(string Name, MethodInfo Method, IReadOnlyList<string> Methods, string Route);

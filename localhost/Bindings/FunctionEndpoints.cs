using System.Reflection;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Abstractions;
using Microsoft.AspNetCore.Routing;

namespace Konduktor.LocalHost.Bindings;

/// <summary>
/// Serves the Functions app's own HTTP functions in a plain ASP.NET Core host: every HTTP-triggered function of the
/// <see cref="FunctionCatalog"/> becomes an endpoint with the trigger's methods and route (under <c>/api</c>, as in
/// host.json), called through the <see cref="FunctionInvoker"/> like every other trigger. No second copy of the routes.
/// </summary>
public static class FunctionEndpoints
{
    public const string RoutePrefix = "api";

    public static IReadOnlyList<FunctionDefinition> Discover(Assembly assembly) =>
        FunctionCatalog.Discover(assembly).Where(f => f.Trigger == TriggerKind.Http).OrderBy(f => f.Route, StringComparer.Ordinal).ToList();

    public static void Map(WebApplication app, IReadOnlyList<FunctionDefinition> functions)
    {
        foreach (var function in functions)
        {
            var invoker = FunctionInvoker.For(function);
            app.MapMethods($"/{RoutePrefix}/{function.Route}", function.HttpMethods.Select(m => m.ToUpperInvariant()), async (HttpContext http) =>
            {
                var result = await invoker.InvokeAsync(new Invocation(http.RequestServices, http.Request, http.RequestAborted, http));
                var actionResult = result as IActionResult ?? new StatusCodeResult(StatusCodes.Status204NoContent);
                await actionResult.ExecuteResultAsync(new ActionContext(http, http.GetRouteData(), new ActionDescriptor()));
            }).WithName(function.Name);
        }
    }
}

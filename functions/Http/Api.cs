using Konduktor.Core.Auth;
using Konduktor.Core.Contract;
using Konduktor.Core.Results;
using Konduktor.Core.Storage;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Logging;

namespace Konduktor.Functions.Http;

/// <summary>
/// What every HTTP function does around its one call into core: authenticate the principal, authorize what the route
/// does against the one <see cref="Policy"/>, read the body, turn a <see cref="Failure"/> into problem+json, and keep
/// the unexpected from leaking a stack trace.
/// </summary>
public sealed class Api(IAuthenticator authenticator, Core.Workspaces.AgentSecrets secrets, ILogger<Api> logger)
{
    /// <param name="reply">The reply for a value, when it is not the operation's JSON with its status.</param>
    public Task<IActionResult> Run<TOut>(HttpRequest request, Operation<TOut> operation, Func<Principal, CancellationToken, Task<Result<TOut>>> action, Func<TOut, IActionResult>? reply = null)
        where TOut : notnull =>
        Authorized(request, operation, action, reply);

    public Task<IActionResult> Run<TIn, TOut>(HttpRequest request, Operation<TIn, TOut> operation, Func<Principal, TIn, CancellationToken, Task<Result<TOut>>> action, Func<TOut, IActionResult>? reply = null)
        where TOut : notnull =>
        Authorized(request, operation, async (caller, ct) => (await RequestBody.ReadAsync<TIn>(request, ct)).TryGet(out var input, out var failure)
            ? await action(caller, input, ct)
            : failure, reply);

    /// <summary>For the routes that take no token: the caller proves itself another way (GitHub's webhook signature, a one-time registration secret, checked in core), or needs no proof (the contract).</summary>
    public Task<IActionResult> RunWithoutToken<TOut>(HttpRequest request, Operation<TOut> operation, Func<CancellationToken, Task<Result<TOut>>> action)
        where TOut : notnull =>
        Guard(request, async ct => (await action(ct)).TryGet(out var value, out var failure) ? new JsonReply(value, operation.Status) : Problems.From(failure));

    /// <summary>As above, for a route whose body the function reads itself, after the proof it checks first.</summary>
    public Task<IActionResult> RunWithoutToken<TIn, TOut>(HttpRequest request, Operation<TIn, TOut> operation, Func<CancellationToken, Task<Result<TOut>>> action)
        where TOut : notnull =>
        Guard(request, async ct => (await action(ct)).TryGet(out var value, out var failure) ? new JsonReply(value, operation.Status) : Problems.From(failure));

    private Task<IActionResult> Authorized<TOut>(HttpRequest request, Operation operation, Func<Principal, CancellationToken, Task<Result<TOut>>> action, Func<TOut, IActionResult>? reply)
        where TOut : notnull =>
        Guard(request, async ct =>
        {
            var act = operation.Act ?? throw new InvalidOperationException($"{operation.Name} has no act for the policy");
            if (!Credential(request).TryGet(out var credential, out var failure)
                || !(await authenticator.AuthenticateAsync(credential, ct)).TryGet(out var caller, out failure)
                || !Policy.Authorize(caller, act).TryGet(out _, out failure))
            {
                return Problems.From(failure);
            }

            var result = await action(caller, ct);
            return result.TryGet(out var value, out failure) ? await MaskedAsync(request, caller, reply?.Invoke(value) ?? new JsonReply(value, operation.Status), ct) : Problems.From(failure);
        });

    /// <summary>
    /// The Authorization header, or the board's HttpOnly sign-in cookie (local mode) as a bearer token. A browser sends
    /// the cookie to 127.0.0.1 from any page on any port (SameSite does not separate ports), so a request that changes
    /// something on the cookie's word must come from the board's own page (<c>Sec-Fetch-Site: same-origin</c>, or an
    /// <c>Origin</c> equal to the API's) and carry JSON: a form or a <c>text/plain</c> post from an agent's dev server
    /// is refused. The cookie's name carries the port, so two <c>up</c>s on one machine never share a sign-in.
    /// </summary>
    private static Result<string?> Credential(HttpRequest request)
    {
        if (request.Headers.Authorization.ToString() is { Length: > 0 } header)
        {
            return header;
        }

        if (!request.Cookies.TryGetValue(BoardCookieFor(request), out var token) || token.Length == 0)
        {
            return Result.Ok<string?>(null);
        }

        if (HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method))
        {
            return "Bearer " + token;
        }

        if (!FromOwnPage(request))
        {
            return new Forbidden("a change signed in with the board's cookie must come from the board's own page; other pages (and scripts) send an Authorization header");
        }

        var hasBody = request.ContentLength > 0 || request.Headers.TransferEncoding.Count > 0;
        return hasBody && !(request.ContentType?.StartsWith("application/json", StringComparison.OrdinalIgnoreCase) ?? false)
            ? new Forbidden("a change signed in with the board's cookie must send JSON (Content-Type: application/json)")
            : "Bearer " + token;
    }

    private static bool FromOwnPage(HttpRequest request) =>
        request.Headers["Sec-Fetch-Site"].ToString() is { Length: > 0 } site
            ? site == "same-origin"
            : request.Headers.Origin.ToString() is { Length: > 0 } origin && string.Equals(origin, $"{request.Scheme}://{request.Host}", StringComparison.OrdinalIgnoreCase);

    /// <summary>The board's sign-in cookie for the host on this port (set by <c>up</c>'s sign-in link: HttpOnly, SameSite=Strict).</summary>
    public static string BoardCookieFor(HttpRequest request) => $"konduktor_token_{request.Host.Port?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "80"}";

    /// <summary>
    /// Whatever the API returns for a workspace has the workspace's secrets masked (an agent may have written one
    /// anywhere) — except to the runner that claimed a session, which hands them to the agent.
    /// </summary>
    private async Task<IActionResult> MaskedAsync(HttpRequest request, Principal caller, IActionResult reply, CancellationToken ct) =>
        reply is JsonReply { KonduktorsOwn: false } json && caller.Kind != PrincipalKind.Runner && request.RouteValues.TryGetValue("workspace", out var workspace) && workspace is string reference
            && await secrets.MaskAsync(reference, ct) is { IsEmpty: false } mask
            ? json.Masked(mask)
            : reply;

    private async Task<IActionResult> Guard(HttpRequest request, Func<CancellationToken, Task<IActionResult>> handle)
    {
        var ct = request.HttpContext.RequestAborted;
        try
        {
            return await handle(ct);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            return Problems.Status(499, "Client closed request", "the request was cancelled");
        }
        catch (Exception e) when (StorageOutage.Is(e))
        {
            logger.LogError(e, "Storage failed during {Method} {Path}", request.Method, request.Path);
            return Problems.Status(StatusCodes.Status503ServiceUnavailable, "Storage unavailable", "storage is unavailable right now; nothing was changed, try again shortly");
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            logger.LogError(e, "Unexpected failure during {Method} {Path}", request.Method, request.Path);
            return Problems.Status(StatusCodes.Status500InternalServerError, "Unexpected error", $"something unexpected went wrong; it was logged as {request.HttpContext.TraceIdentifier}");
        }
    }
}

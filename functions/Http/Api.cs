using Azure;
using Konduktor.Core.Auth;
using Konduktor.Core.Results;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Logging;

namespace Konduktor.Functions.Http;

/// <summary>
/// What every HTTP function does around its one call into core: authenticate the principal, read the body,
/// turn a <see cref="Failure"/> into problem+json, and keep the unexpected from leaking a stack trace.
/// </summary>
public sealed class Api(IAuthenticator authenticator, ILogger<Api> logger)
{
    public Task<IActionResult> Run<TOut>(HttpRequest request, Func<Principal, CancellationToken, Task<Result<TOut>>> action, Func<TOut, IActionResult>? reply = null)
        where TOut : notnull =>
        Guard(request, async ct =>
        {
            if (!(await authenticator.AuthenticateAsync(Credential(request), ct)).TryGet(out var caller, out var failure))
            {
                return Problems.From(failure);
            }

            var result = await action(caller, ct);
            return result.TryGet(out var value, out failure) ? reply?.Invoke(value) ?? JsonReply.Ok(value) : Problems.From(failure);
        });

    /// <summary>For the one route whose caller proves itself differently (GitHub's webhook signature, checked in core).</summary>
    public Task<IActionResult> RunSigned<TOut>(HttpRequest request, Func<CancellationToken, Task<Result<TOut>>> action)
        where TOut : notnull =>
        Guard(request, async ct => (await action(ct)).TryGet(out var value, out var failure) ? JsonReply.Ok(value) : Problems.From(failure));

    public Task<IActionResult> Run<TIn, TOut>(HttpRequest request, Func<Principal, TIn, CancellationToken, Task<Result<TOut>>> action, Func<TOut, IActionResult>? reply = null)
        where TOut : notnull =>
        Run(request, async (caller, ct) => (await RequestBody.ReadAsync<TIn>(request, ct)).TryGet(out var input, out var failure)
            ? await action(caller, input, ct)
            : failure, reply);

    /// <summary>The Authorization header, or the board's HttpOnly sign-in cookie (local mode) as a bearer token.</summary>
    private static string? Credential(HttpRequest request) =>
        request.Headers.Authorization.ToString() is { Length: > 0 } header ? header
        : request.Cookies.TryGetValue(BoardCookie, out var token) && token.Length > 0 ? "Bearer " + token
        : null;

    /// <summary>Set by <c>konduktor up</c>'s sign-in link: HttpOnly, SameSite=Strict.</summary>
    public const string BoardCookie = "konduktor_token";

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
        catch (RequestFailedException e) when (e.Status is 0 or >= 500)
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

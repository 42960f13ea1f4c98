using Konduktor.Core.Results;

namespace Konduktor.Core.Auth;

/// <summary>Turns a request's credentials into a <see cref="Principal"/>, or says why it cannot.</summary>
public interface IAuthenticator
{
    /// <param name="authorization">The raw Authorization header, if any.</param>
    ValueTask<Result<Principal>> AuthenticateAsync(string? authorization, CancellationToken ct);
}

/// <summary>Authenticates people: the local token under <c>konduktor up</c>, Entra ID in Azure.</summary>
public interface IUserAuthenticator : IAuthenticator;

using Konduktor.Core.Results;
using Konduktor.Core.Runners;
using Konduktor.Core.Sessions;

namespace Konduktor.Core.Auth;

/// <summary>The one authenticator routes use: runner and session tokens by their prefix, everything else is a person's.</summary>
public sealed class KonduktorAuthenticator(RunnerService runners, SessionReads sessions, IEnumerable<IUserAuthenticator> users) : IAuthenticator
{
    private const string Scheme = "Bearer ";
    private readonly IUserAuthenticator[] _users = users.ToArray();

    public async ValueTask<Result<Principal>> AuthenticateAsync(string? authorization, CancellationToken ct)
    {
        var token = authorization is not null && authorization.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase) ? authorization[Scheme.Length..].Trim() : "";
        if (token.StartsWith(Secrets.RunnerPrefix, StringComparison.Ordinal))
        {
            return await runners.AuthenticateAsync(token, ct);
        }

        if (token.StartsWith(Secrets.SessionPrefix, StringComparison.Ordinal))
        {
            return await sessions.AuthenticateAsync(token, ct);
        }

        Result<Principal> result = new Unauthorized("sign in first: send 'Authorization: Bearer <token>' (the CLI does this for you after `konduktor up`)");
        foreach (var user in _users)
        {
            result = await user.AuthenticateAsync(authorization, ct);
            if (result.IsSuccess)
            {
                return result;
            }
        }

        return result;
    }
}

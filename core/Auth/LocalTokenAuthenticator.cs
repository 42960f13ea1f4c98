using System.Security.Cryptography;
using System.Text;
using Konduktor.Core.Results;

namespace Konduktor.Core.Auth;

/// <summary>The local mode's person: whoever holds the random token <c>konduktor up</c> wrote to the user's home.</summary>
public sealed class LocalTokenAuthenticator(LocalTokenOptions options) : IUserAuthenticator
{
    private readonly byte[] _expected = Encoding.UTF8.GetBytes(options.Token);

    public ValueTask<Result<Principal>> AuthenticateAsync(string? authorization, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(authorization))
        {
            return ValueTask.FromResult<Result<Principal>>(new Unauthorized("sign in first: send 'Authorization: Bearer <token>' (the CLI does this for you after `konduktor up`)"));
        }

        const string scheme = "Bearer ";
        var presented = authorization.StartsWith(scheme, StringComparison.OrdinalIgnoreCase)
            ? Encoding.UTF8.GetBytes(authorization[scheme.Length..].Trim())
            : [];
        var valid = _expected.Length > 0 && CryptographicOperations.FixedTimeEquals(presented, _expected);
        return ValueTask.FromResult<Result<Principal>>(valid
            ? Principal.LocalUser
            : new Unauthorized("the token is not valid for this Konduktor; check KONDUKTOR_TOKEN or your KONDUKTOR_HOME"));
    }
}

public sealed record LocalTokenOptions(string Token);

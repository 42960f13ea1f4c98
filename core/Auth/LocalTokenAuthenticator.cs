using System.Security.Cryptography;
using System.Text;
using Konduktor.Core.Results;

namespace Konduktor.Core.Auth;

/// <summary>
/// The local mode's person: whoever holds the random token <c>konduktor up</c> wrote to the user's home, or a browser
/// with a board sign-in cookie that is still good (<see cref="BoardSignIn"/>).
/// </summary>
public sealed class LocalTokenAuthenticator(LocalTokenOptions options, BoardSignIn? board = null) : IUserAuthenticator
{
    private readonly byte[] _expected = Encoding.UTF8.GetBytes(options.Token);

    public ValueTask<Result<Principal>> AuthenticateAsync(string? authorization, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(authorization))
        {
            return ValueTask.FromResult<Result<Principal>>(new Unauthorized("sign in first: send 'Authorization: Bearer <token>' (the CLI does this for you after `konduktor up`)"));
        }

        const string scheme = "Bearer ";
        var text = authorization.StartsWith(scheme, StringComparison.OrdinalIgnoreCase) ? authorization[scheme.Length..].Trim() : "";
        if (text.StartsWith(BoardSignIn.Prefix, StringComparison.Ordinal))
        {
            return ValueTask.FromResult<Result<Principal>>(board?.IsValidCookie(text) == true
                ? Principal.LocalUser
                : new Unauthorized("this browser's sign-in has expired or was signed out: run `konduktor open` for a new sign-in link"));
        }

        var presented = Encoding.UTF8.GetBytes(text);
        var valid = _expected.Length > 0 && CryptographicOperations.FixedTimeEquals(presented, _expected);
        return ValueTask.FromResult<Result<Principal>>(valid
            ? Principal.LocalUser
            : new Unauthorized("the token is not valid for this Konduktor; check KONDUKTOR_TOKEN or your KONDUKTOR_HOME"));
    }
}

public sealed record LocalTokenOptions(string Token);

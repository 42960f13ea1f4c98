using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Konduktor.Core.Auth;

/// <summary>
/// How a browser signs in to a local board, and stays signed in. A sign-in link carries a code that lasts
/// <see cref="LinkLife"/> (`up` prints one, `konduktor open` makes one at any time); opening it trades the code for an
/// HttpOnly cookie that lasts <see cref="CookieLife"/>, across browser restarts. Both are signed with a key kept in the
/// user's Konduktor home and bound to the local token: `konduktor logout` makes a new key (every browser is signed out
/// at once) and a new local token does the same. The key file is read again when it changes, so a running `up` hears
/// a logout at once. Codes and cookies are <c>kb_EXPIRY.SIGNATURE</c>, the expiry in Unix seconds.
/// </summary>
public sealed class BoardSignIn(string keyFile, string localToken, TimeProvider clock)
{
    public static readonly TimeSpan LinkLife = TimeSpan.FromHours(1);
    public static readonly TimeSpan CookieLife = TimeSpan.FromDays(30);
    public const string Prefix = "kb_";
    private const string Link = "link", Cookie = "cookie";

    private readonly Lock _gate = new();
    private (DateTime Written, byte[] Key)? _key;

    /// <summary>A new link that signs a browser in to the board at <paramref name="boardUrl"/>.</summary>
    public string LinkTo(string boardUrl) => $"{boardUrl.TrimEnd('/')}/auth/local?code={Sign(Link, clock.GetUtcNow() + LinkLife)}";

    /// <summary>A new cookie's value, and when it expires.</summary>
    public (string Value, DateTimeOffset Expires) NewCookie()
    {
        var expires = clock.GetUtcNow() + CookieLife;
        return (Sign(Cookie, expires), expires);
    }

    public SignInCheck CheckLinkCode(string? code) => Check(Link, code);

    public bool IsValidCookie(string? value) => Check(Cookie, value) == SignInCheck.Valid;

    /// <summary>A new key: every link and cookie made before no longer signs anyone in.</summary>
    public static void NewKey(string keyFile)
    {
        var directory = Path.GetDirectoryName(keyFile)!;
        Directory.CreateDirectory(directory);
        var temporary = Path.Combine(directory, $".{Path.GetFileName(keyFile)}.{Environment.ProcessId}");
        File.WriteAllText(temporary, Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32)));
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(temporary, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        File.Move(temporary, keyFile, overwrite: true);
    }

    /// <summary>Makes the key on first use.</summary>
    public static void EnsureKey(string keyFile)
    {
        if (!File.Exists(keyFile))
        {
            NewKey(keyFile);
        }
    }

    private string Sign(string purpose, DateTimeOffset expires)
    {
        var seconds = expires.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        return $"{Prefix}{seconds}.{Signature(Key() ?? throw new InvalidOperationException($"no board sign-in key at {keyFile}"), purpose, seconds)}";
    }

    private SignInCheck Check(string purpose, string? presented)
    {
        var dot = presented?.IndexOf('.', StringComparison.Ordinal) ?? -1;
        if (presented is null || !presented.StartsWith(Prefix, StringComparison.Ordinal) || dot < Prefix.Length
            || !long.TryParse(presented.AsSpan(Prefix.Length, dot - Prefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var seconds)
            || Key() is not { } key)
        {
            return SignInCheck.Invalid;
        }

        var expected = Encoding.ASCII.GetBytes(Signature(key, purpose, seconds.ToString(CultureInfo.InvariantCulture)));
        if (!CryptographicOperations.FixedTimeEquals(expected, Encoding.ASCII.GetBytes(presented[(dot + 1)..])))
        {
            return SignInCheck.Invalid;
        }

        return DateTimeOffset.FromUnixTimeSeconds(Math.Min(seconds, 253402300799)) > clock.GetUtcNow() ? SignInCheck.Valid : SignInCheck.Expired;
    }

    private string Signature(byte[] key, string purpose, string seconds) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes($"{purpose}\n{seconds}\n{localToken}")));

    private byte[]? Key()
    {
        try
        {
            var written = File.GetLastWriteTimeUtc(keyFile);
            lock (_gate)
            {
                if (_key is { } known && known.Written == written)
                {
                    return known.Key;
                }
            }

            var key = Encoding.ASCII.GetBytes(File.ReadAllText(keyFile).Trim());
            lock (_gate)
            {
                _key = (written, key);
            }

            return key.Length >= 32 ? key : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}

public enum SignInCheck
{
    Valid,
    Expired,
    Invalid,
}

using System.Security.Cryptography;
using System.Text;

namespace Konduktor.Core.Auth;

/// <summary>
/// Runner and session credentials: <c>&lt;kind&gt;_&lt;ids&gt;_&lt;secret&gt;</c>. The ids make the check one point read;
/// only a SHA-256 of the whole token is stored, compared in fixed time.
/// </summary>
public static class Secrets
{
    public const string RunnerPrefix = "kr_";
    public const string SessionPrefix = "ks_";

    public static string NewRunnerToken(Guid runnerId) => $"{RunnerPrefix}{runnerId:N}_{Random()}";

    /// <summary>A one-time runner registration secret: traded once for a runner credential.</summary>
    public static string NewRegistrationSecret() => $"{RegistrationPrefix}{Random()}";

    public const string RegistrationPrefix = "krr_";

    public static string NewSessionToken(Guid workspaceId, Guid sessionId) => $"{SessionPrefix}{workspaceId:N}_{sessionId:N}_{Random()}";

    public static string Hash(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));

    public static bool Matches(string token, string? storedHash) =>
        storedHash is not null && CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(Hash(token)), Encoding.ASCII.GetBytes(storedHash));

    /// <summary>The ids in a token of the given kind, or none when it is not one.</summary>
    public static Guid[] IdsIn(string token, string prefix, int count)
    {
        if (!token.StartsWith(prefix, StringComparison.Ordinal))
        {
            return [];
        }

        var parts = token[prefix.Length..].Split('_');
        if (parts.Length != count + 1)
        {
            return [];
        }

        var ids = new Guid[count];
        for (var i = 0; i < count; i++)
        {
            if (!Guid.TryParseExact(parts[i], "N", out ids[i]))
            {
                return [];
            }
        }

        return ids;
    }

    /// <summary>A storage account key (512 random bits, base64) for the Azurite a local host starts.</summary>
    public static string NewStorageAccountKey() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(64));

    private static string Random() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '.');
}

using System.Security.Cryptography;
using System.Text;
using Konduktor.Core.Results;

namespace Konduktor.Core.GitHub;

/// <summary>A webhook body whose signature matched: its bytes and their SHA-256 (what a replay is recognised by).</summary>
public sealed record SignedDelivery(byte[] Body, string Sha256);

/// <summary>
/// Reads a webhook body only once it is known whose it is: the HMAC (GitHub's <c>X-Hub-Signature-256</c>) is computed over
/// the stream as it arrives, within the size limit, and only a few bodies are read at a time — a flood of large posts
/// with made-up signatures costs the host a bounded amount of memory, and is refused once read.
/// </summary>
public static class SignedDeliveryReader
{
    private const string Prefix = "sha256=";
    private const int MaxAtOnce = 4;
    private static readonly SemaphoreSlim Gate = new(MaxAtOnce, MaxAtOnce);

    /// <summary>The well-formed signature header, or why the delivery is refused before its body is read.</summary>
    public static Result<byte[]> ExpectedSignature(string? header)
    {
        if (string.IsNullOrEmpty(header) || !header.StartsWith(Prefix, StringComparison.Ordinal) || header.Length != Prefix.Length + 64)
        {
            return new Unauthorized("the delivery has no valid X-Hub-Signature-256 header; set the webhook's secret to the one `konduktor workspaces webhook` prints");
        }

        try
        {
            return Convert.FromHexString(header.AsSpan(Prefix.Length));
        }
        catch (FormatException)
        {
            return new Unauthorized("the delivery's X-Hub-Signature-256 is not a hex SHA-256");
        }
    }

    public static async Task<Result<SignedDelivery>> ReadAsync(Stream body, long? declaredLength, byte[] expectedSignature, string secret, int maxBytes, CancellationToken ct)
    {
        if (declaredLength > maxBytes)
        {
            return new TooLarge($"the delivery is {declaredLength:N0} bytes; at most {maxBytes:N0} are accepted");
        }

        await Gate.WaitAsync(ct);
        try
        {
            using var hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, Encoding.UTF8.GetBytes(secret));
            using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            using var buffer = new MemoryStream();
            var chunk = new byte[81920];
            int read;
            while ((read = await body.ReadAsync(chunk, ct)) > 0)
            {
                if (buffer.Length + read > maxBytes)
                {
                    return new TooLarge($"the delivery is over {maxBytes:N0} bytes, the most accepted");
                }

                hmac.AppendData(chunk, 0, read);
                sha.AppendData(chunk, 0, read);
                buffer.Write(chunk, 0, read);
            }

            return CryptographicOperations.FixedTimeEquals(hmac.GetHashAndReset(), expectedSignature)
                ? new SignedDelivery(buffer.ToArray(), Convert.ToHexStringLower(sha.GetHashAndReset()))
                : new Unauthorized("the delivery's X-Hub-Signature-256 does not match this workspace's webhook secret; nothing was done");
        }
        finally
        {
            Gate.Release();
        }
    }
}

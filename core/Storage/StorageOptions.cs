namespace Konduktor.Core.Storage;

/// <summary>Where state lives. One storage account; <see cref="Prefix"/> keeps several installations (or test runs) apart in it.</summary>
public sealed record StorageOptions
{
    public const string Section = "Konduktor:Storage";

    /// <summary>A connection string (Azurite, or an account key); null in Azure, where <see cref="AccountName"/> and the app's identity are used.</summary>
    public string? ConnectionString { get; init; }

    /// <summary>The storage account reached with the host's Entra ID identity (managed identity in Azure); no keys.</summary>
    public string? AccountName { get; init; }

    /// <summary>Runners read the job queue through the API even when a SAS could be signed (tests use it to run the Azure path).</summary>
    public bool RunnersThroughApi { get; init; }

    /// <summary>Lower-case letters and digits put before every table, queue and container name.</summary>
    public string Prefix { get; init; } = "";
}

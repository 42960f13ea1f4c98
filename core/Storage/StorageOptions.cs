namespace Konduktor.Core.Storage;

/// <summary>Where state lives. One storage account; <see cref="Prefix"/> keeps several installations (or test runs) apart in it.</summary>
public sealed record StorageOptions
{
    public const string Section = "Konduktor:Storage";

    public required string ConnectionString { get; init; }

    /// <summary>Lower-case letters and digits put before every table, queue and container name.</summary>
    public string Prefix { get; init; } = "";
}

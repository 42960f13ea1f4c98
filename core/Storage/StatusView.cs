namespace Konduktor.Core.Storage;

/// <summary>Who the API sees, and its version: what `konduktor status` shows.</summary>
public sealed record StatusView(string Status, string PrincipalKind, string Principal, string Version);

/// <summary>Storage requests a host has made since it started, by service and operation.</summary>
public sealed record StorageOperationsView(long Total, IReadOnlyDictionary<string, long> Operations);

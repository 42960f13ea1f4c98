namespace Konduktor.Core.Storage;

/// <summary>Every table Konduktor keeps (before the installation's prefix).</summary>
public static class TableNames
{
    public const string Workspaces = "workspaces";
    public const string Tasks = "tasks";
}

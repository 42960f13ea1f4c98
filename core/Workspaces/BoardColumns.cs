namespace Konduktor.Core.Workspaces;

/// <summary>The six default columns. They have meaning: PR events move tasks to PR Submitted, Done and Closed.</summary>
public static class BoardColumns
{
    public const string Ideas = "Ideas";
    public const string ToDo = "To do";
    public const string InProgress = "In progress";
    public const string PrSubmitted = "PR Submitted";
    public const string Done = "Done";
    public const string Closed = "Closed";

    public static readonly IReadOnlyList<string> Defaults = [Ideas, ToDo, InProgress, PrSubmitted, Done, Closed];
}

using Konduktor.Core.Results;

namespace Konduktor.Core.Auth;

public enum PrincipalKind
{
    /// <summary>A person: Entra ID in Azure, the local token under <c>konduktor up</c>.</summary>
    User,

    /// <summary>A runner machine, with its own credential: it claims and reports sessions.</summary>
    Runner,

    /// <summary>An agent session, with a token scoped to its workspace that expires with the session.</summary>
    Session,
}

/// <summary>Who is calling. Every API route needs one; what it may touch is decided here, in core.</summary>
public sealed record Principal(PrincipalKind Kind, string Name, Guid? WorkspaceScope = null, Guid? Id = null)
{
    public static readonly Principal LocalUser = new(PrincipalKind.User, "local");

    /// <summary>Konduktor itself acting for a started project (its orchestration runs ready tasks). Never authenticated from outside.</summary>
    public static readonly Principal Orchestration = new(PrincipalKind.User, "konduktor");

    /// <summary>People may use every workspace; a session only its own; a runner none through the board routes.</summary>
    public Result<Done> MayUseWorkspace(Guid workspaceId, string workspaceName) => Kind switch
    {
        PrincipalKind.User => Done.Value,
        PrincipalKind.Session when WorkspaceScope == workspaceId => Done.Value,
        _ => new Forbidden($"this {Kind.ToString().ToLowerInvariant()} credential may not use workspace {workspaceName}"),
    };

    /// <summary>Creating and deleting workspaces is for people.</summary>
    public Result<Done> MayAdministerWorkspaces() => Kind == PrincipalKind.User
        ? Done.Value
        : new Forbidden($"a {Kind.ToString().ToLowerInvariant()} credential may not create or delete workspaces");
}

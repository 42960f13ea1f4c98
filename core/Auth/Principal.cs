using System.Text.Json.Serialization;
using Konduktor.Core.Json;
using Konduktor.Core.Results;

namespace Konduktor.Core.Auth;

[JsonConverter(typeof(JsonEnumName<PrincipalKind>))]
public enum PrincipalKind
{
    /// <summary>A person: Entra ID in Azure, the local token under <c>konduktor up</c>.</summary>
    User,

    /// <summary>A runner machine, with its own credential: it claims and reports sessions.</summary>
    Runner,

    /// <summary>An agent session, with a token scoped to its workspace that expires with the session.</summary>
    Session,

    /// <summary>Konduktor itself: auto-fix, the agent scheduler, project orchestrations. Never authenticated from outside.</summary>
    System,
}

/// <summary>Who is calling. Every API route needs one; what it may touch is decided here, in core.</summary>
public sealed record Principal(PrincipalKind Kind, string Name, Guid? WorkspaceScope = null, Guid? Id = null)
{
    public static readonly Principal LocalUser = new(PrincipalKind.User, "local");

    /// <summary>Konduktor acting for a started project (its orchestration runs ready tasks).</summary>
    public static readonly Principal Orchestration = Konduktor("project orchestration");

    /// <summary>Konduktor itself doing <paramref name="what"/> (shown where it acted, e.g. "konduktor (auto-fix)").</summary>
    public static Principal Konduktor(string what) => new(PrincipalKind.System, $"konduktor ({what})");

    /// <summary>People and Konduktor itself may use every workspace; a session only its own; a runner none through the board routes.</summary>
    public Result<Done> MayUseWorkspace(Guid workspaceId, string workspaceName) => Kind switch
    {
        PrincipalKind.User or PrincipalKind.System => Done.Value,
        PrincipalKind.Session when WorkspaceScope == workspaceId => Done.Value,
        _ => new Forbidden($"this {Kind.ToString().ToLowerInvariant()} credential may not use workspace {workspaceName}"),
    };

}

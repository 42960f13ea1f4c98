namespace Konduktor.Runner.Sandbox;

/// <summary>
/// What one agent (or a setup or cleanup script) may reach of this machine besides the system's programs: its worktree
/// and what git needs of its repository's mirror (read-write), a home of its own, and files it may only read.
/// </summary>
/// <param name="Worktree">The task's worktree, read-write; the agent's working directory.</param>
/// <param name="Mirror">The repository's bare mirror: objects and refs read-write; its config, hooks and info read-only; other worktrees' git folders absent.</param>
/// <param name="WorktreeGitDirectory">The worktree's own git folder inside the mirror (<c>worktrees/NAME</c>), read-write.</param>
/// <param name="Home">The agent's HOME, made for this session alone.</param>
/// <param name="ReadOnlyFiles">Files it reads but may not change (its system prompt, a setup script kept by the runner).</param>
/// <param name="ProxySocket">The session's <see cref="AgentProxy"/>, its only way out; null: no network at all (a cleanup script).</param>
public sealed record AgentRoom(string Worktree, string Mirror, string WorktreeGitDirectory, string Home, IReadOnlyList<string> ReadOnlyFiles, string? ProxySocket = null);

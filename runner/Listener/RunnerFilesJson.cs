using System.Text.Json;
using System.Text.Json.Serialization;

namespace Konduktor.Runner.Listener;

/// <summary>The files a runner keeps for itself, source-generated (read case-insensitively: older runners wrote PascalCase owners).</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(KeptCredential))]
[JsonSerializable(typeof(WorktreeOwner))]
internal sealed partial class RunnerFilesJson : JsonSerializerContext;

/// <summary>The credential a runner registered with a one-time secret keeps, so a restart is the same runner.</summary>
internal sealed record KeptCredential(Guid RunnerId, string Token);

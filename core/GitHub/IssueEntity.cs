using System.Runtime.Serialization;
using Azure;
using Azure.Data.Tables;
using Konduktor.Core.Json;

namespace Konduktor.Core.GitHub;

/// <summary>
/// PartitionKey = workspace UUID, RowKey = the issue's number (zero-padded): the task an issue became, whether the
/// workspace still follows it, and the issue's <c>updated_at</c> last applied — what makes a redelivery, a race
/// between the webhook and the reconciler, or a listing that says the same again write nothing.
/// </summary>
internal sealed class IssueEntity : ITableEntity
{
    public string PartitionKey { get; set; } = "";

    public string RowKey { get; set; } = "";

    public DateTimeOffset? Timestamp { get; set; }

    public ETag ETag { get; set; }

    /// <summary>Chosen before the task is made, so a second maker finds it here and makes no second task.</summary>
    public string TaskId { get; set; } = "";

    /// <summary>The task was made: if it is gone now, a person deleted it, and it is not made again.</summary>
    public bool TaskCreated { get; set; }

    /// <summary>False once the issue lost the label (the task stays, and no longer follows the issue).</summary>
    public bool Following { get; set; }

    public DateTimeOffset? UpdatedAt { get; set; }

    /// <summary>JSON of the tags the issue's labels gave the task last time: a label removed takes its tag off, a person's own tags stay.</summary>
    public string? LabelTags { get; set; }

    /// <summary>The pull request already announced on the issue (one comment per pull request, not per update).</summary>
    public int? AnnouncedPullRequest { get; set; }

    [IgnoreDataMember]
    public IReadOnlyList<string> LabelTagList => LabelTags is { } json ? KonduktorJson.Deserialize<List<string>>(json) ?? [] : [];

    public static string Row(int number) => number.ToString("D10", System.Globalization.CultureInfo.InvariantCulture);
}

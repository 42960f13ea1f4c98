using System.Globalization;
using System.Text.RegularExpressions;
using Cronos;
using Konduktor.Core.Results;

namespace Konduktor.Core.Agents;

/// <summary>
/// When an agent is due. An interval counts from the last run; a cron expression (Cronos, five fields) is read in
/// the agent's time zone. After a run the next time is computed from now, so runs missed while the host was down
/// collapse into the one that runs when it is back.
/// </summary>
public static partial class AgentSchedule
{
    public static readonly TimeSpan ShortestEvery = TimeSpan.FromMinutes(1);
    public static readonly TimeSpan LongestEvery = TimeSpan.FromDays(31);

    public static Result<TimeSpan> ParseEvery(string text)
    {
        var match = EveryPattern().Match(text.Trim().ToLowerInvariant());
        if (!match.Success)
        {
            return new Invalid($"'{ShortId.Shorten(text)}' is not an interval: use a number and a unit, like 30m, 12h or 1d", "every");
        }

        var amount = int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
        var span = match.Groups[2].Value switch
        {
            "m" => TimeSpan.FromMinutes(amount),
            "h" => TimeSpan.FromHours(amount),
            _ => TimeSpan.FromDays(amount),
        };
        return span < ShortestEvery || span > LongestEvery
            ? new Invalid($"an interval must be between 1m and 31d, not {text.Trim()}", "every")
            : span;
    }

    public static Result<CronExpression> ParseCron(string text)
    {
        try
        {
            return CronExpression.Parse(text.Trim(), CronFormat.Standard);
        }
        catch (CronFormatException e)
        {
            return new Invalid($"'{ShortId.Shorten(text)}' is not a cron expression (five fields: minute hour day month weekday): {e.Message}", "cron");
        }
    }

    public static Result<TimeZoneInfo> ParseZone(string? id)
    {
        if (string.IsNullOrWhiteSpace(id))
        {
            return TimeZoneInfo.Utc;
        }

        try
        {
            return TimeZoneInfo.FindSystemTimeZoneById(id.Trim());
        }
        catch (Exception e) when (e is TimeZoneNotFoundException or InvalidTimeZoneException)
        {
            return new Invalid($"'{ShortId.Shorten(id)}' is not a time zone this host knows; use an IANA name such as Europe/Paris or UTC", "timeZone");
        }
    }

    /// <summary>The first time after <paramref name="after"/> the agent is due; null when its cron never fires again.</summary>
    internal static DateTimeOffset? Next(AgentEntity agent, DateTimeOffset after) =>
        agent.Every is { } every ? after + ParseEvery(every).Value
        : agent.Cron is { } cron ? ParseCron(cron).Value!.GetNextOccurrence(after, ParseZone(agent.TimeZone).Value!)
        : null;

    [GeneratedRegex("^([0-9]{1,5}) ?(m|h|d)$")]
    private static partial Regex EveryPattern();
}

using System.Diagnostics;

namespace Konduktor.Runner.Processes;

/// <summary>Starts of one program run through another (the sandbox, the agent's supervisor).</summary>
public static class ProcessStarts
{
    /// <summary>
    /// <paramref name="program"/> with <paramref name="arguments"/> in place of <paramref name="start"/>'s program: the
    /// same working directory, redirected streams and environment.
    /// </summary>
    public static ProcessStartInfo Through(ProcessStartInfo start, string program, IEnumerable<string> arguments)
    {
        var through = new ProcessStartInfo(program, arguments)
        {
            WorkingDirectory = start.WorkingDirectory,
            RedirectStandardInput = start.RedirectStandardInput,
            RedirectStandardOutput = start.RedirectStandardOutput,
            RedirectStandardError = start.RedirectStandardError,
            UseShellExecute = false,
        };
        through.Environment.Clear();
        foreach (var (name, value) in start.Environment)
        {
            through.Environment[name] = value;
        }

        return through;
    }
}

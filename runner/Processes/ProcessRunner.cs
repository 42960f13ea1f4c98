using System.Diagnostics;
using System.Text;

namespace Konduktor.Runner.Processes;

public sealed class ProcessFailedException(string message) : Exception(message);

/// <summary>Runs git and friends with argument lists (never a shell line) and reports failures with their stderr.</summary>
public static class ProcessRunner
{
    public static async Task<string> RunAsync(string fileName, IEnumerable<string> arguments, string? workingDirectory, CancellationToken ct, Func<ProcessStartInfo, ProcessStartInfo>? confine = null)
    {
        var list = arguments.ToList();
        var (exitCode, stdout, stderr) = await CaptureAsync(fileName, list, workingDirectory, ct, confine);
        if (exitCode != 0)
        {
            throw Failed(fileName, list, exitCode, stderr);
        }

        return stdout;
    }

    /// <summary>Runs a command to its end and returns its exit code and both outputs, whatever the exit code.</summary>
    /// <param name="confine">Runs the command inside the agents' sandbox (git over what agents touched).</param>
    public static async Task<(int ExitCode, string Stdout, string Stderr)> CaptureAsync(string fileName, IEnumerable<string> arguments, string? workingDirectory, CancellationToken ct, Func<ProcessStartInfo, ProcessStartInfo>? confine = null)
    {
        using var process = Start(fileName, arguments, workingDirectory, confine);
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync(ct);
        var stderr = process.StandardError.ReadToEndAsync(ct);
        try
        {
            await process.WaitForExitAsync(ct);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        return (process.ExitCode, await stdout, await stderr);
    }

    /// <summary>
    /// Runs a command whose output may be huge (a diff) and keeps its first <paramref name="maxChars"/> characters: past
    /// them the command is ended and the output marked as cut. Fails like <see cref="RunAsync"/> otherwise.
    /// </summary>
    public static async Task<(string Output, bool Truncated)> RunCappedAsync(string fileName, IEnumerable<string> arguments, int maxChars, CancellationToken ct, Func<ProcessStartInfo, ProcessStartInfo>? confine = null)
    {
        var list = arguments.ToList();
        using var process = Start(fileName, list, null, confine);
        process.StandardInput.Close();
        var stderr = process.StandardError.ReadToEndAsync(ct);
        var output = new StringBuilder();
        var buffer = new char[64 * 1024];
        var truncated = false;
        try
        {
            int read;
            while ((read = await process.StandardOutput.ReadAsync(buffer, ct)) > 0)
            {
                if (output.Length + read > maxChars)
                {
                    output.Append(buffer, 0, maxChars - output.Length);
                    truncated = true;
                    process.Kill(entireProcessTree: true);
                    break;
                }

                output.Append(buffer, 0, read);
            }

            await process.WaitForExitAsync(ct);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        if (!truncated && process.ExitCode != 0)
        {
            throw Failed(fileName, list, process.ExitCode, await stderr);
        }

        return (output.ToString(), truncated);
    }

    /// <summary>Whether a command succeeds, for questions like "does this ref exist".</summary>
    public static async Task<bool> SucceedsAsync(string fileName, IEnumerable<string> arguments, string? workingDirectory, CancellationToken ct, Func<ProcessStartInfo, ProcessStartInfo>? confine = null)
    {
        try
        {
            await RunAsync(fileName, arguments, workingDirectory, ct, confine);
            return true;
        }
        catch (ProcessFailedException)
        {
            return false;
        }
    }

    /// <summary>Starts a command with every stream redirected, git never asking for a password, confined when asked.</summary>
    private static Process Start(string fileName, IEnumerable<string> arguments, string? workingDirectory, Func<ProcessStartInfo, ProcessStartInfo>? confine)
    {
        var start = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["GIT_TERMINAL_PROMPT"] = "0";
        return Process.Start(confine is null ? start : confine(start)) ?? throw new ProcessFailedException($"could not start {fileName}");
    }

    /// <summary>A command that failed, with the end of what it said on stderr.</summary>
    private static ProcessFailedException Failed(string fileName, IReadOnlyList<string> arguments, int exitCode, string stderr)
    {
        var error = stderr.Trim();
        return new ProcessFailedException($"{fileName} {Describe(arguments)} failed (exit code {exitCode}): {(error.Length > 2000 ? error[^2000..] : error)}");
    }

    private static string Describe(IReadOnlyList<string> arguments)
    {
        var text = new StringBuilder();
        foreach (var argument in arguments.Take(6))
        {
            text.Append(argument.Length > 60 ? argument[..60] + "…" : argument).Append(' ');
        }

        return text.ToString().TrimEnd();
    }
}

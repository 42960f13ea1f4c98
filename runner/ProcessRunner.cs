using System.Diagnostics;
using System.Text;

namespace Konduktor.Runner;

public sealed class CommandFailedException(string message) : Exception(message);

/// <summary>Runs git and friends with argument lists (never a shell line) and reports failures with their stderr.</summary>
public static class ProcessRunner
{
    public static async Task<string> RunAsync(string fileName, IEnumerable<string> arguments, string? workingDirectory, CancellationToken ct)
    {
        var start = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        var list = arguments.ToList();
        list.ForEach(start.ArgumentList.Add);
        start.Environment["GIT_TERMINAL_PROMPT"] = "0";
        using var process = Process.Start(start) ?? throw new CommandFailedException($"could not start {fileName}");
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

        if (process.ExitCode != 0)
        {
            var error = (await stderr).Trim();
            throw new CommandFailedException($"{fileName} {Describe(list)} failed (exit code {process.ExitCode}): {(error.Length > 2000 ? error[^2000..] : error)}");
        }

        return await stdout;
    }

    /// <summary>Whether a command succeeds, for questions like "does this ref exist".</summary>
    public static async Task<bool> SucceedsAsync(string fileName, IEnumerable<string> arguments, string? workingDirectory, CancellationToken ct)
    {
        try
        {
            await RunAsync(fileName, arguments, workingDirectory, ct);
            return true;
        }
        catch (CommandFailedException)
        {
            return false;
        }
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

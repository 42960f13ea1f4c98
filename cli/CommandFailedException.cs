namespace Konduktor.Cli;

/// <summary>An expected failure: the CLI prints its message as one line on stderr and exits with <see cref="ExitCode"/>.</summary>
public sealed class CommandFailedException(string message, int exitCode = ExitCodes.Failure) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}

public static class ExitCodes
{
    public const int Ok = 0;
    public const int Failure = 1;
    public const int Usage = 2;
}

using Microsoft.Extensions.Logging;

namespace Konduktor.Runner.Listener;

/// <summary>
/// The runner's log: one line per entry on stdout, "HH:mm:ss level: category message". Deliberately tiny — a runner
/// idles for hours, and the full console logging stack (options, configuration, a queue thread) costs it megabytes.
/// </summary>
public sealed class LineLoggerProvider(LogLevel minimum) : ILoggerProvider
{
    private static readonly Lock Gate = new();

    public ILogger CreateLogger(string categoryName) => new LineLogger(categoryName, minimum);

    public void Dispose()
    {
    }

    private sealed class LineLogger(string category, LogLevel minimum) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= minimum && logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel))
            {
                return;
            }

            var level = logLevel switch
            {
                LogLevel.Trace => "trce",
                LogLevel.Debug => "dbug",
                LogLevel.Information => "info",
                LogLevel.Warning => "warn",
                LogLevel.Error => "fail",
                _ => "crit",
            };
            var line = $"{DateTime.Now:HH:mm:ss} {level}: {category} {formatter(state, exception)}{(exception is null ? "" : " — " + exception.Message)}";
            lock (Gate)
            {
                Console.Out.WriteLine(line);
            }
        }
    }
}

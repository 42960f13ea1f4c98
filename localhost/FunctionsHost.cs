using Serilog;
using Konduktor.Functions;
using Konduktor.LocalHost.Bindings;
using Konduktor.Functions.Http;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.FileProviders;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Konduktor.LocalHost;

/// <summary>The Functions app's classes, served over HTTP on 127.0.0.1 with the same DI registrations as in Azure.</summary>
public sealed class FunctionsHost : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly LocalTimers _timers;
    private readonly LocalQueues _queues;
    private readonly LocalDurable _durable;

    private FunctionsHost(WebApplication app, LocalTimers timers, LocalQueues queues, LocalDurable durable, int functionCount)
    {
        _app = app;
        _timers = timers;
        _queues = queues;
        _durable = durable;
        FunctionCount = functionCount;
    }

    /// <summary>Something else listens on the port the host was to take.</summary>
    public sealed class PortInUseException(int port) : Exception($"port {port} is in use")
    {
        public int Port { get; } = port;
    }

    public int FunctionCount { get; }

    public string Url => _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();

    public IServiceProvider Services => _app.Services;

    /// <param name="board">The board's built files, served at the root; null for none.</param>
    public static async Task<FunctionsHost> StartAsync(int port, IReadOnlyDictionary<string, string?> settings, string? board, CancellationToken ct)
    {
        var builder = LocalWebApplication.CreateBuilder("Konduktor");
        builder.Configuration.Sources.Clear();
        builder.Configuration.AddInMemoryCollection(settings);
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Limits.MaxRequestBodySize = Konduktor.Core.GitHub.GitHubWebhooks.MaxBodyBytes + 1024);
        ConfigureLogging(builder.Logging, settings.GetValueOrDefault(LogFileSetting), Verbose);
        builder.Services.AddSingleton<IHostLifetime, OwnedLifetime>();
        builder.Services.AddKonduktorFunctions(builder.Configuration);

        var app = builder.Build();
        if (board is not null)
        {
            var files = new PhysicalFileProvider(board);
            app.UseDefaultFiles(new DefaultFilesOptions { FileProvider = files });
            app.UseStaticFiles(new StaticFileOptions { FileProvider = files });
        }

        if (app.Services.GetService<Konduktor.Core.Auth.BoardSignIn>() is { } signIn)
        {
            MapLocalSignIn(app, signIn);
        }

        var functions = FunctionEndpoints.Discover(typeof(KonduktorFunctionsServices).Assembly);
        FunctionEndpoints.Map(app, functions);
        app.MapFallback($"{FunctionEndpoints.RoutePrefix}/{{**path}}", (HttpContext http) => Problems.Status(StatusCodes.Status404NotFound, "Not found", $"there is no route {http.Request.Method} {http.Request.Path}").ExecuteResultAsync(new Microsoft.AspNetCore.Mvc.ActionContext { HttpContext = http }));
        try
        {
            await app.StartAsync(ct);
        }
        catch (IOException e) when (e.InnerException is Microsoft.AspNetCore.Connections.AddressInUseException)
        {
            await app.DisposeAsync();
            throw new PortInUseException(port);
        }

        var links = app.Services.GetRequiredService<Konduktor.Core.GitHub.BoardLinks>();
        links.BoardUrl ??= new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        var durable = await LocalDurable.StartAsync(typeof(KonduktorFunctionsServices).Assembly, app.Services, ct);
        var timers = LocalTimers.Start(typeof(KonduktorFunctionsServices).Assembly, app.Services);
        var queues = LocalQueues.Start(typeof(KonduktorFunctionsServices).Assembly, app.Services);
        return new FunctionsHost(app, timers, queues, durable, functions.Count + timers.Count + queues.Count + durable.Count);
    }

    /// <summary>Where the host writes its whole log (Information and up), one file a day, a week kept.</summary>
    public const string LogFileSetting = "Konduktor:LogFile";

    /// <summary>
    /// KONDUKTOR_LOG=info: the terminal shows everything the log file has. Without it, a person's terminal stays quiet
    /// but for what they must act on (warnings and errors).
    /// </summary>
    public static bool Verbose => string.Equals(Environment.GetEnvironmentVariable("KONDUKTOR_LOG"), "info", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// One line per entry: Konduktor's own at Information and the frameworks' at Warning into the log file; on the
    /// terminal only warnings and errors (all of it with <paramref name="verbose"/>).
    /// </summary>
    private static void ConfigureLogging(ILoggingBuilder logging, string? logFile, bool verbose)
    {
        logging.ClearProviders();
        logging.AddSimpleConsole(console =>
        {
            console.SingleLine = true;
            console.TimestampFormat = "HH:mm:ss ";
            console.UseUtcTimestamp = false;
        });
        if (logFile is not null)
        {
            logging.AddSerilog(new Serilog.LoggerConfiguration()
                .MinimumLevel.Verbose()
                .WriteTo.File(logFile, rollingInterval: Serilog.RollingInterval.Day, retainedFileCountLimit: 7, outputTemplate: "{Timestamp:yyyy-MM-dd HH:mm:ss} {Level:u4} {SourceContext}: {Message:lj}{NewLine}{Exception}")
                .CreateLogger(), dispose: true);
        }

        logging.SetMinimumLevel(LogLevel.Information);
        (string Category, LogLevel Level)[] rules =
        [
            ("Microsoft", LogLevel.Warning), ("System", LogLevel.Warning), ("Azure", LogLevel.Warning),
            ("Grpc", LogLevel.Warning), // e.g. the Durable worker's stream ending as up stops
            ("DurableTask", LogLevel.Warning),
            ("Microsoft.Extensions.Hosting.Internal.Host", LogLevel.None), // a failure to start is thrown, and said once by `up`
            ("DurableTask.AzureStorage", LogLevel.Error), // e.g. a signal to a project not started yet is dropped with a warning
        ];
        // Each provider gets its own rules (a provider's rules replace the shared ones for it, and Serilog adds one of
        // its own): the file these, the terminal these and nothing below a warning unless verbose.
        foreach (var (category, level) in rules)
        {
            logging.AddFilter<Serilog.Extensions.Logging.SerilogLoggerProvider>(category, level);
            logging.AddFilter<Microsoft.Extensions.Logging.Console.ConsoleLoggerProvider>(category, verbose ? level : (LogLevel)Math.Max((int)level, (int)LogLevel.Warning));
        }

        logging.AddFilter<Serilog.Extensions.Logging.SerilogLoggerProvider>(null, LogLevel.Information);
        logging.AddFilter<Microsoft.Extensions.Logging.Console.ConsoleLoggerProvider>(null, verbose ? LogLevel.Information : LogLevel.Warning);
    }

    /// <summary>
    /// The sign-in link (<c>up</c> prints one, <c>konduktor open</c> makes one): its code trades for an HttpOnly cookie
    /// that lasts 30 days, across browser restarts, until <c>konduktor logout</c>.
    /// </summary>
    private static void MapLocalSignIn(WebApplication app, Konduktor.Core.Auth.BoardSignIn signIn)
    {
        app.MapGet("/auth/local", (HttpContext http) =>
        {
            var check = signIn.CheckLinkCode(http.Request.Query["code"].ToString());
            if (check != Konduktor.Core.Auth.SignInCheck.Valid)
            {
                var why = check == Konduktor.Core.Auth.SignInCheck.Expired ? "has expired (a link lasts an hour)" : "is not valid (any more)";
                return Results.Text($"This sign-in link {why}: run `konduktor open` on this machine for a new one.", statusCode: StatusCodes.Status401Unauthorized);
            }

            var (value, expires) = signIn.NewCookie();
            http.Response.Cookies.Append(Konduktor.Functions.Http.Api.BoardCookieFor(http.Request), value,
                new CookieOptions { HttpOnly = true, SameSite = SameSiteMode.Strict, Path = "/", IsEssential = true, Expires = expires });
            return Results.Redirect("/");
        });
    }

    public async ValueTask DisposeAsync()
    {
        await _timers.DisposeAsync();
        await _queues.DisposeAsync();
        await _durable.DisposeAsync();
        await _app.StopAsync(CancellationToken.None);
        await _app.DisposeAsync();
    }
}

/// <summary><c>up</c> owns Ctrl+C and SIGTERM (it must stop Azurite after the host), so the host does not listen for them.</summary>
internal sealed class OwnedLifetime : IHostLifetime
{
    public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

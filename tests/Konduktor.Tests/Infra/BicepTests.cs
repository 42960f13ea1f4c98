using System.Diagnostics;
using System.Reflection;
using Konduktor.Tests.Infrastructure;

namespace Konduktor.Tests.Infra;

/// <summary>infra/ builds and lints clean with the real Bicep CLI, and azd finds what it deploys.</summary>
public sealed class BicepTests
{
    private static readonly string Infra = Path.Combine(KonduktorCli.RepositoryRoot, "infra");

    private static readonly Lazy<string> BicepPath = new(() =>
    {
        var path = typeof(BicepTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "BicepPath").Value!.Replace('\\', '/');
        // NuGet does not always keep the executable bit of the native binary it unpacks.
        if (!OperatingSystem.IsWindows() && !File.GetUnixFileMode(path).HasFlag(UnixFileMode.UserExecute))
        {
            File.SetUnixFileMode(path, File.GetUnixFileMode(path) | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
        }

        return path;
    });

    private static string Bicep => BicepPath.Value;

    private static List<string> BicepFiles() =>
        Directory.EnumerateFiles(Infra, "*.bicep", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(Infra, f)).Order(StringComparer.Ordinal).ToList();

    /// <summary>Every file built once, in one run of the CLI (each start of it costs seconds): its exit code, what it said, and where the templates are.</summary>
    private static readonly Lazy<Task<(int Code, string Error, string Templates)>> Built = new(async () =>
    {
        var templates = Directory.CreateTempSubdirectory("konduktor-bicep-").FullName;
        var build = await RunAsync("build", "--pattern", Path.Combine(Infra, "**", "*.bicep"), "--outdir", templates);
        return (build.Code, build.Error + build.Output, templates);
    });

    [Fact]
    public async Task Every_bicep_file_builds_and_lints_without_an_error_or_a_warning()
    {
        var lint = await RunAsync("lint", "--pattern", Path.Combine(Infra, "**", "*.bicep"));
        var (code, said, templates) = await Built.Value;

        Assert.True(lint.Code == 0 && (lint.Output + lint.Error).Trim().Length == 0, $"bicep lint:\n{lint.Output}{lint.Error}");
        Assert.True(code == 0 && said.Trim().Length == 0, $"bicep build:\n{said}");
        Assert.Equal(BicepFiles().Select(f => Path.ChangeExtension(f, ".json")), Directory.EnumerateFiles(templates, "*.json", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(templates, f)).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task The_template_gives_the_api_and_board_urls_and_azd_deploys_projects_that_exist()
    {
        var template = await File.ReadAllTextAsync(Path.Combine((await Built.Value).Templates, "main.json"));
        var azure = await File.ReadAllTextAsync(Path.Combine(KonduktorCli.RepositoryRoot, "azure.yaml"));
        var storage = await File.ReadAllTextAsync(Path.Combine(Infra, "modules", "storage.bicep"));

        Assert.Contains("\"KONDUKTOR_API_URL\"", template, StringComparison.Ordinal);
        Assert.Contains("\"KONDUKTOR_BOARD_URL\"", template, StringComparison.Ordinal);
        Assert.Contains("allowSharedKeyAccess: false", storage, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(KonduktorCli.RepositoryRoot, "functions", "Konduktor.Functions.csproj")));
        Assert.True(File.Exists(Path.Combine(KonduktorCli.RepositoryRoot, "web", "package.json")));
        Assert.Contains("project: ./functions", azure, StringComparison.Ordinal);
        Assert.Contains("project: ./web", azure, StringComparison.Ordinal);
    }

    private static async Task<(int Code, string Output, string Error)> RunAsync(params string[] arguments)
    {
        var start = new ProcessStartInfo(Bicep) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["BICEP_TRACING_ENABLED"] = "false";
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await output, await error);
    }
}

namespace Konduktor.LocalHost;

/// <summary>
/// The board's static files (web/, built by Vite to web/dist): built by <c>up</c> when missing or older than their
/// sources, one build at a time however many <c>up</c>s start together.
/// </summary>
public static class WebBoard
{
    /// <summary>The folder of built files to serve, or null when this installation has no board sources.</summary>
    public static async Task<string?> EnsureBuiltAsync(Action<string> step, CancellationToken ct)
    {
        var web = Azurite.FindUp(AppContext.BaseDirectory, Path.Combine("web", "package.json"), _ => true) is { } root ? Path.Combine(root, "web") : null;
        if (web is null)
        {
            return null;
        }

        var dist = Path.Combine(web, "dist");
        if (IsFresh(web, dist))
        {
            return dist;
        }

        await using var gate = await LockAsync(Path.Combine(web, ".build.lock"), ct);
        if (IsFresh(web, dist))
        {
            return dist;
        }

        if (!Directory.Exists(Path.Combine(web, "node_modules")))
        {
            step("Installing the board's packages (npm ci)");
            await Azurite.RunAsync("npm", ["ci", "--no-audit", "--no-fund", "--loglevel=error"], web, ct);
        }

        step("Building the board (vite build)");
        await Azurite.RunAsync("npm", ["run", "build", "--silent"], web, ct);
        return dist;
    }

    private static bool IsFresh(string web, string dist)
    {
        var index = new FileInfo(Path.Combine(dist, "index.html"));
        if (!index.Exists)
        {
            return false;
        }

        var sources = Directory.EnumerateFiles(Path.Combine(web, "src"), "*", SearchOption.AllDirectories)
            .Concat([Path.Combine(web, "index.html"), Path.Combine(web, "package.json"), Path.Combine(web, "vite.config.ts")]);
        return sources.All(s => File.GetLastWriteTimeUtc(s) <= index.LastWriteTimeUtc);
    }

    private static async Task<FileStream> LockAsync(string path, CancellationToken ct)
    {
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException)
            {
                await Task.Delay(200, ct);
            }
        }
    }
}

using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Konduktor.Runner;

/// <summary>Graceful stops: SIGTERM first, so a child can save its state, then the whole tree is killed after a grace period.</summary>
public static partial class ProcessSignals
{
    private const int SigTerm = 15;
    private const int SigKill = 9;

    public static async Task StopAsync(Process process, TimeSpan grace)
    {
        if (process.HasExited)
        {
            return;
        }

        if (OperatingSystem.IsWindows() || Kill(process.Id, SigTerm) != 0)
        {
            process.Kill(entireProcessTree: true);
        }

        using var timeout = new CancellationTokenSource(grace);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(CancellationToken.None);
        }
    }

    /// <summary>
    /// Stops a process and everything it started: the whole tree (found before anything is signalled, since
    /// orphans are re-parented) gets SIGTERM, and whatever is still alive after the grace period gets SIGKILL.
    /// </summary>
    public static async Task StopTreeAsync(Process process, TimeSpan grace)
    {
        if (OperatingSystem.IsWindows())
        {
            process.Kill(entireProcessTree: true);
            return;
        }

        var tree = Descendants(process.Id).Prepend(process.Id).ToList();
        foreach (var pid in tree)
        {
            Kill(pid, SigTerm);
        }

        var deadline = DateTime.UtcNow + grace;
        while (tree.Any(IsAlive) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }

        foreach (var pid in tree.Where(IsAlive))
        {
            Kill(pid, SigKill);
        }
    }

    /// <summary>Every process below <paramref name="root"/>, from /proc (Linux).</summary>
    public static IReadOnlyList<int> Descendants(int root)
    {
        var children = new Dictionary<int, List<int>>();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), out var pid))
            {
                continue;
            }

            try
            {
                var stat = File.ReadAllText(Path.Combine(directory, "stat"));
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                var parent = int.Parse(fields[1], System.Globalization.CultureInfo.InvariantCulture);
                (children.TryGetValue(parent, out var list) ? list : children[parent] = []).Add(pid);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
            {
                // Gone while we looked: it is no one's descendant any more.
            }
        }

        var found = new List<int>();
        var pending = new Queue<int>([root]);
        while (pending.TryDequeue(out var pid))
        {
            foreach (var child in children.GetValueOrDefault(pid) ?? [])
            {
                found.Add(child);
                pending.Enqueue(child);
            }
        }

        return found;
    }

    public static bool IsAlive(int pid)
    {
        if (!OperatingSystem.IsWindows() && File.Exists($"/proc/{pid}/stat"))
        {
            try
            {
                // A zombie (Z) has ended; it only waits for a parent to reap it.
                var stat = File.ReadAllText($"/proc/{pid}/stat");
                return stat[(stat.LastIndexOf(')') + 2)..][0] is not ('Z' or 'X');
            }
            catch (IOException)
            {
                return false;
            }
        }

        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    /// <summary>The process's command line (Linux), to check a recorded pid still is what we started.</summary>
    public static string CommandLine(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ');
        }
        catch (IOException)
        {
            return "";
        }
        catch (UnauthorizedAccessException)
        {
            return "";
        }
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}

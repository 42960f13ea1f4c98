using System.Runtime.InteropServices;

namespace Konduktor.LocalHost.Durability;

/// <summary>
/// What .NET does not offer for making files survive a power cut: syncing a folder (so a file created or renamed in it
/// stays), syncing a file another process wrote, and a second name for a file (a hard link keeps the content a rename
/// over the first name would drop). POSIX calls, the same on Linux and macOS.
/// </summary>
public static partial class DiskSync
{
    public static void Directory(string path) => Sync(path);

    public static void File(string path) => Sync(path);

    /// <summary>Gives <paramref name="file"/> the name <paramref name="link"/> too, replacing what had that name.</summary>
    public static void HardLink(string file, string link)
    {
        var fresh = link + ".new";
        System.IO.File.Delete(fresh);
        if (Link(file, fresh) != 0)
        {
            throw new IOException($"could not link {file} to {fresh} (errno {Marshal.GetLastPInvokeError()})");
        }

        System.IO.File.Move(fresh, link, overwrite: true);
    }

    private static void Sync(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        var fd = Open(path, 0);
        if (fd < 0)
        {
            throw new IOException($"could not open {path} to sync it (errno {Marshal.GetLastPInvokeError()})");
        }

        try
        {
            if (Fsync(fd) != 0)
            {
                throw new IOException($"could not sync {path} (errno {Marshal.GetLastPInvokeError()})");
            }
        }
        finally
        {
            _ = Close(fd);
        }
    }

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int Fsync(int fd);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);

    [LibraryImport("libc", EntryPoint = "link", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Link(string existing, string created);
}

using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Konduktor.Runner.Sandbox;

/// <summary>
/// How the runner touches a place an agent could write (its worktree, its repository's git folders, its home): it
/// never follows a link there, reads only a regular file, no more than a cap, and never blocks on a FIFO; it writes by
/// putting a new file in place of whatever is there. A planted link, FIFO or device is refused with a reason for the log.
/// </summary>
public static partial class AgentWrittenFiles
{
    /// <summary>The result of a read: the bytes, or why they were not read.</summary>
    public sealed record Read(byte[]? Content, string? Refusal);

    /// <summary>
    /// The file at <paramref name="path"/>, which must lie inside <paramref name="root"/> (a folder the runner made and
    /// trusts) with no link on the way, be a regular file and hold at most <paramref name="maxBytes"/>.
    /// </summary>
    public static Read ReadRegular(string path, string root, long maxBytes)
    {
        if (WhyNotPlain(path, root) is { } why)
        {
            return new Read(null, why);
        }

        using var handle = OpenNoFollow(path, out var error);
        if (handle is null)
        {
            return new Read(null, $"{path} could not be opened without following links ({error})");
        }

        try
        {
            using var stream = new FileStream(handle, FileAccess.Read, 1, isAsync: false);
            if (!stream.CanSeek)
            {
                return new Read(null, $"{path} is not a regular file (a FIFO, a socket or a device): not read");
            }

            if (stream.Length > maxBytes)
            {
                return new Read(null, $"{path} holds {stream.Length:N0} bytes, over the {maxBytes:N0} allowed: not read");
            }

            var content = new byte[stream.Length];
            stream.ReadExactly(content);
            return new Read(content, null);
        }
        catch (IOException e)
        {
            return new Read(null, $"{path} could not be read: {e.Message}");
        }
        catch (UnauthorizedAccessException e)
        {
            return new Read(null, $"{path} could not be read: {e.Message}");
        }
    }

    /// <summary>The text of a small file the runner wrote there earlier; null (and the reason) when it is not a plain file any more.</summary>
    public static string? ReadText(string path, string root, long maxBytes = 64 * 1024) =>
        ReadRegular(path, root, maxBytes).Content is { } content ? System.Text.Encoding.UTF8.GetString(content) : null;

    /// <summary>Writes a new file in place of whatever is at <paramref name="path"/> (a link the agent left is removed, never followed).</summary>
    public static void Write(string path, string root, ReadOnlySpan<byte> content)
    {
        if (WhyNotPlain(Path.GetDirectoryName(path)!, root) is { } why)
        {
            throw new IOException($"refusing to write {path}: {why}");
        }

        Remove(path);
        using var stream = new FileStream(path, new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write });
        stream.Write(content);
    }

    public static void Write(string path, string root, string content) => Write(path, root, System.Text.Encoding.UTF8.GetBytes(content));

    /// <summary>Removes whatever is at the path but a folder: a file, a link (not what it points to), a FIFO.</summary>
    public static void Remove(string path)
    {
        var info = new FileInfo(path);
        if (info.LinkTarget is not null || info.Exists || (!Directory.Exists(path) && Path.Exists(path)))
        {
            File.Delete(path);
        }
    }

    /// <summary>Why the path is not a plain place inside the root: outside it, or a link (or something else than a folder) on the way.</summary>
    public static string? WhyNotPlain(string path, string root)
    {
        var full = Path.GetFullPath(path);
        var top = Path.TrimEndingDirectorySeparator(Path.GetFullPath(root));
        if (!SandboxPolicy.IsWithin(full, top))
        {
            return $"{path} is outside {root}";
        }

        var current = top;
        foreach (var part in Path.GetRelativePath(top, full).Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries))
        {
            if (part == ".")
            {
                continue;
            }

            current = Path.Combine(current, part);
            if (new FileInfo(current).LinkTarget is not null)
            {
                return $"{current} is a symbolic link: not followed";
            }
        }

        return null;
    }

    /// <summary><c>open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)</c>: a link at the end fails, a FIFO opens without waiting for a writer.</summary>
    private static SafeFileHandle? OpenNoFollow(string path, out string? error)
    {
        error = null;
        if (OperatingSystem.IsWindows())
        {
            return File.OpenHandle(path);
        }

        var fd = Open(path, NoFollowFlags());
        if (fd < 0)
        {
            error = $"errno {Marshal.GetLastPInvokeError()}";
            return null;
        }

        return new SafeFileHandle(fd, ownsHandle: true);
    }

    /// <summary>The flags' values differ by system and, on Linux, by processor.</summary>
    private static int NoFollowFlags()
    {
        if (OperatingSystem.IsMacOS())
        {
            return 0x0004 | 0x0100 | 0x1000000; // O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC
        }

        var noFollow = RuntimeInformation.ProcessArchitecture is Architecture.Arm64 or Architecture.Arm ? 0x8000 : 0x20000;
        return 0x800 | noFollow | 0x80000; // O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC
    }

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);
}

using System.Text;

namespace Konduktor.Cli;

/// <summary>
/// Standard output or error for a process that outlives its terminal (<c>up</c>, a runner): once the window it ran in
/// has closed, writing there fails (EIO), and what is left to say goes nowhere instead of ending the process before it
/// has stopped in order.
/// </summary>
public sealed class TerminalWriter(TextWriter inner) : TextWriter
{
    private volatile bool _gone;

    public override Encoding Encoding => inner.Encoding;

    /// <summary>Makes the console's output and error survive the terminal going away.</summary>
    public static void Install()
    {
        if (Console.Out is not TerminalWriter)
        {
            Console.SetOut(new TerminalWriter(Console.Out));
            Console.SetError(new TerminalWriter(Console.Error));
        }
    }

    public override void Write(char value) => Try(() => inner.Write(value));

    public override void Write(string? value) => Try(() => inner.Write(value));

    public override void Write(char[] buffer, int index, int count) => Try(() => inner.Write(buffer, index, count));

    public override void WriteLine(string? value) => Try(() => inner.WriteLine(value));

    public override void Flush() => Try(inner.Flush);

    private void Try(Action write)
    {
        if (_gone)
        {
            return;
        }

        try
        {
            write();
        }
        catch (IOException)
        {
            _gone = true;
        }
    }
}

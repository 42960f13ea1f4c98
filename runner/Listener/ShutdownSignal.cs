using System.Runtime.InteropServices;

namespace Konduktor.Runner.Listener;

/// <summary>SIGTERM and SIGINT (Ctrl+C) as a cancellation token, so long-running commands stop in order instead of dying.</summary>
public sealed class ShutdownSignal : IDisposable
{
    private readonly CancellationTokenSource _stopping = new();
    private readonly PosixSignalRegistration _onTerm;
    private readonly PosixSignalRegistration _onInt;

    public ShutdownSignal()
    {
        _onTerm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
        _onInt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
    }

    public CancellationToken Token => _stopping.Token;

    public void Dispose()
    {
        _onTerm.Dispose();
        _onInt.Dispose();
        _stopping.Dispose();
    }

    private void Stop(PosixSignalContext context)
    {
        context.Cancel = true;
        _stopping.Cancel();
    }
}

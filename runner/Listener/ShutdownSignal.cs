using System.Runtime.InteropServices;

namespace Konduktor.Runner.Listener;

/// <summary>SIGTERM, SIGINT (Ctrl+C) and SIGHUP (the terminal closed) as a cancellation token, so long-running commands stop in order instead of dying.</summary>
public sealed class ShutdownSignal : IDisposable
{
    private readonly CancellationTokenSource _stopping = new();
    private readonly PosixSignalRegistration _onTerm;
    private readonly PosixSignalRegistration _onInt;
    private readonly PosixSignalRegistration _onHangUp;

    public ShutdownSignal()
    {
        _onTerm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
        _onInt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
        _onHangUp = PosixSignalRegistration.Create(PosixSignal.SIGHUP, Stop);
    }

    public CancellationToken Token => _stopping.Token;

    public void Dispose()
    {
        _onTerm.Dispose();
        _onInt.Dispose();
        _onHangUp.Dispose();
        _stopping.Dispose();
    }

    private void Stop(PosixSignalContext context)
    {
        context.Cancel = true;
        _stopping.Cancel();
    }
}

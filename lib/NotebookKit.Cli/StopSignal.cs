using System.Runtime.InteropServices;

namespace NotebookKit.Cli;

/// <summary>
/// Turns SIGINT (Ctrl+C) and SIGTERM into a request to stop after the current step, so a stopped run still saves and
/// flushes what it has. A second signal ends the process at once, as if nothing were registered.
/// </summary>
internal sealed class StopSignal : IDisposable
{
    readonly PosixSignalRegistration[] _registrations;
    volatile int _signal;

    /// <summary>Starts listening for SIGINT and SIGTERM.</summary>
    public StopSignal() =>
        _registrations = [PosixSignalRegistration.Create(PosixSignal.SIGINT, c => Handle(c, 2)), PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => Handle(c, 15))];

    void Handle(PosixSignalContext context, int number)
    {
        if (_signal != 0) return; // the second signal: the default action ends the process
        _signal = number;
        context.Cancel = true;
    }

    /// <summary>Whether a signal asked the run to stop.</summary>
    public bool Requested => _signal != 0;

    /// <summary>The signal's name, e.g. "SIGINT".</summary>
    public string Name => _signal == 2 ? "SIGINT" : "SIGTERM";

    /// <summary>The exit code a shell gives a process ended by the signal: 128 + its number (130 for SIGINT, 143 for SIGTERM).</summary>
    public int ExitCode => 128 + _signal;

    /// <summary>Stops listening: signals do what they do by default again. Later calls do nothing.</summary>
    public void Dispose()
    {
        foreach (var registration in _registrations) registration.Dispose();
    }
}

using System.Diagnostics;
using System.Text;

namespace NotebookKit.Cli.Tests;

/// <summary>Runs the real nbk (nbk.dll, built next to the tests) in its own process, as a user would.</summary>
static class Nbk
{
    /// <summary>What a finished run returned and printed; deconstructs as <c>var (exit, stdout, stderr)</c>.</summary>
    public sealed record Result(int Exit, string Out, string Err);

    static string Dll => Path.Combine(AppContext.BaseDirectory, "nbk.dll");

    /// <summary>Runs <c>nbk args...</c> to completion (at most two minutes).</summary>
    public static Result Run(params string[] args) => RunUntil(args, _ => false);

    /// <summary>Runs nbk to completion with extra environment variables.</summary>
    public static Result Run(IEnumerable<string> args, IReadOnlyDictionary<string, string> environment) => RunUntil(args, _ => false, environment);

    /// <summary>
    /// Runs nbk and sends it <paramref name="signal"/> (SIGKILL unless told) as soon as it prints a line for which
    /// <paramref name="killWhen"/> is true; once, then it waits for the process to end.
    /// </summary>
    public static Result RunUntil(IEnumerable<string> args, Func<string, bool> killWhen, IReadOnlyDictionary<string, string>? environment = null, int signal = Sigkill)
    {
        var sent = 0;
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Dll);
        foreach (var arg in args) start.ArgumentList.Add(arg);
        foreach (var (name, value) in environment ?? new Dictionary<string, string>()) start.Environment[name] = value;

        using var process = Process.Start(start)!;
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (stderr) stderr.AppendLine(e.Data); };
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (stdout) stdout.AppendLine(e.Data);
            if (Volatile.Read(ref sent) == 1 || !killWhen(e.Data) || Interlocked.Exchange(ref sent, 1) == 1) return;
            if (signal == Sigkill) process.Kill(); // no cleanup, as a crash
            else _ = Kill(process.Id, signal); // the test fails on the missing output if the signal was not sent
        };
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        if (!process.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"nbk {string.Join(' ', args)} did not finish in two minutes:\n{stdout}\n{stderr}");
        }
        process.WaitForExit(); // drains the output handlers
        return new Result(process.ExitCode, stdout.ToString(), stderr.ToString());
    }

    /// <summary>Signal numbers on Linux.</summary>
    public const int Sigint = 2, Sigkill = 9, Sigterm = 15;

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill")]
    static extern int Kill(int pid, int signal);
}

using System.Diagnostics;
using NotebookKit.Notebooks.Parsing;

namespace NotebookKit.Notebooks.Execution;

/// <summary>How to start a notebook process: the executable and the arguments that come before the notebook's path.</summary>
/// <param name="FileName">The executable (the nbk apphost, or <c>dotnet</c>).</param>
/// <param name="Arguments">Leading arguments (e.g. <c>nbk.dll</c> and the hidden subcommand that calls <see cref="NotebookChild.RunAsync"/>).</param>
public sealed record ChildLauncher(string FileName, IReadOnlyList<string> Arguments);

/// <summary>Where a running notebook is, for live progress.</summary>
/// <param name="Notebook">The notebook's file name.</param>
/// <param name="Cell">1-based index of the cell running now in the plan (0 while the process starts).</param>
/// <param name="Cells">Number of cells in the plan.</param>
public sealed record NotebookProgress(string Notebook, int Cell, int Cells);

/// <summary>
/// Runs one notebook in its own process so a hung or crashed notebook cannot take others down: collects
/// the events it streams, kills it (with its children) when a cell runs past the timeout, and returns what
/// it got either way.
/// </summary>
public static class NotebookProcess
{
    /// <summary>
    /// How long the process may take to start before its first cell (loading .NET, the compiler and the
    /// references takes 1-2 s, far more on a machine busy building); the cell timeout applies when it is longer.
    /// </summary>
    public static readonly TimeSpan StartupLimit = TimeSpan.FromSeconds(120);

    static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    /// <summary>Runs <paramref name="notebook"/> and returns its run, also when cells failed or timed out.</summary>
    /// <param name="notebook">The parsed notebook (parse errors are reported before anything runs).</param>
    /// <param name="parameters"><c>--param name=value</c> overrides.</param>
    /// <param name="cellTimeout">Longest a single cell may take; the process start gets <see cref="StartupLimit"/> when that is longer.</param>
    /// <param name="launcher">How to start the process.</param>
    /// <param name="progress">Called as cells start.</param>
    /// <param name="withSolutions">Run the reference solutions in place of the exercise cells (see <see cref="RunPlan.Create"/>).</param>
    public static async Task<NotebookRun> RunAsync(Notebook notebook, IReadOnlyList<string> parameters, TimeSpan cellTimeout, ChildLauncher launcher, Action<NotebookProgress>? progress = null, bool withSolutions = false)
    {
        var plan = RunPlan.Create(notebook, parameters, withSolutions);
        var results = plan.Select(NotebookRun.InitialResult).ToArray();
        var outputs = new List<CellOutput>();
        var stderr = new Queue<string>();
        var gate = new object();
        var running = -1;
        var started = false;
        var done = false;
        var lastStart = Stopwatch.StartNew();
        (int Cell, string Message)? protocolError = null; // the first line nbk could not read, and the cell running then

        var start = new ProcessStartInfo(launcher.FileName) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in launcher.Arguments) start.ArgumentList.Add(a);
        start.ArgumentList.Add(notebook.Path);
        foreach (var p in parameters) { start.ArgumentList.Add("--param"); start.ArgumentList.Add(p); }
        if (withSolutions) start.ArgumentList.Add("--solutions");

        var clock = Stopwatch.StartNew();
        using var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) =>
        {
            // A line this handler cannot use must not throw: it runs on a thread-pool thread, where an exception ends nbk.
            ChildEvent? ev;
            try
            {
                ev = ChildEvent.FromLine(e.Data);
            }
            catch (InvalidDataException error)
            {
                lock (gate) protocolError ??= (running, error.Message);
                return;
            }
            if (ev is null) return;
            lock (gate)
            {
                if (ev.Kind is "start" or "end" && (ev.Cell < 0 || ev.Cell >= plan.Count))
                {
                    protocolError ??= (running, $"a '{ev.Kind}' event for cell {ev.Cell}, but the notebook has cells 0 to {plan.Count - 1}");
                    return;
                }
                switch (ev.Kind)
                {
                    case "start":
                        running = ev.Cell;
                        started = true;
                        lastStart.Restart();
                        progress?.Invoke(new NotebookProgress(notebook.Name, ev.Cell + 1, plan.Count));
                        break;
                    case "output" when ev.Output is { } o:
                        var at = outputs.FindIndex(x => x.Id == o.Id);
                        if (at >= 0) outputs[at] = o; else outputs.Add(o);
                        break;
                    case "end" when ev.Result is { } r:
                        results[ev.Cell] = r;
                        running = -1;
                        lastStart.Restart();
                        break;
                    case "done":
                        done = true;
                        break;
                }
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (gate)
            {
                stderr.Enqueue(e.Data);
                if (stderr.Count > 20) stderr.Dequeue();
            }
        };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        progress?.Invoke(new NotebookProgress(notebook.Name, 0, plan.Count));

        var timedOut = false;
        while (!process.HasExited)
        {
            await Task.Delay(50);
            lock (gate)
            {
                if (lastStart.Elapsed <= (started ? cellTimeout : Max(cellTimeout, StartupLimit))) continue;
                timedOut = true;
                var cell = running >= 0 ? running : -1;
                var message = cell >= 0
                    ? $"{notebook.Name}({plan[cell].Line}): the cell ran longer than the {cellTimeout.TotalSeconds:0.#} s cell timeout and was stopped: make it faster, pass a smaller --param, or raise --cell-timeout"
                    : $"{notebook.Name}: the notebook process did not start its first cell within {lastStart.Elapsed.TotalSeconds:0} s and was stopped: check that nbk runs at all (nbk parse {notebook.Name})";
                if (cell >= 0) results[cell] = new CellResult(CellStatus.TimedOut, lastStart.Elapsed.TotalMilliseconds, message, plan[cell].Line);
                else results[Array.FindIndex(results, r => r.Status == CellStatus.NotRun) is var first && first >= 0 ? first : 0] = new CellResult(CellStatus.TimedOut, lastStart.Elapsed.TotalMilliseconds, message);
            }
            if (timedOut)
            {
                process.Kill(entireProcessTree: true);
                break;
            }
        }
        await process.WaitForExitAsync();
        clock.Stop();

        lock (gate)
        {
            string? error = null;
            if (protocolError is { } bad)
            {
                var message = $"the notebook process sent a line nbk could not read: {bad.Message}; a bug in nbk's runner, or something wrote to its protocol stream";
                if (bad.Cell >= 0) results[bad.Cell] = new CellResult(CellStatus.Failed, results[bad.Cell].DurationMs, $"{notebook.Name}({plan[bad.Cell].Line}): {message}", plan[bad.Cell].Line);
                else error = $"{notebook.Name}: {message}";
            }
            if (!done && !timedOut)
            {
                var crash = $"the notebook process exited with code {process.ExitCode} before finishing: {string.Join("\n", stderr)}".TrimEnd(' ', ':');
                if (running >= 0) results[running] = new CellResult(CellStatus.Failed, lastStart.Elapsed.TotalMilliseconds, $"{notebook.Name}({plan[running].Line}): {crash}", plan[running].Line);
                else error = error is null ? crash : $"{error}\n{crash}";
            }
            return new NotebookRun(notebook, plan, results, outputs.ToList(), clock.Elapsed.TotalMilliseconds, error);
        }
    }
}

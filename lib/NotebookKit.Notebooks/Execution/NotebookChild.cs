using NotebookKit.Notebooks.Parsing;

namespace NotebookKit.Notebooks.Execution;

/// <summary>
/// The body of the per-notebook process: runs the C# cells of one notebook in order, stopping at the
/// first failure, and streams every event to the parent over the real stdout.
/// </summary>
public static class NotebookChild
{
    /// <summary>Runs the notebook at <paramref name="path"/> with the given <c>--param</c> values (and its reference
    /// solutions in place of the exercise cells when <paramref name="withSolutions"/>), writing protocol lines to <paramref name="protocol"/>.</summary>
    public static async Task RunAsync(string path, IReadOnlyList<string> parameters, bool withSolutions, TextWriter protocol)
    {
        var notebook = DibParser.Load(path);
        var plan = RunPlan.Create(notebook, parameters, withSolutions);
        var gate = new object();
        void Send(ChildEvent e)
        {
            lock (gate)
            {
                protocol.WriteLine(e.ToLine());
                protocol.Flush();
            }
        }
        // The report inlines plotly.js once in each page's head, so charts need not carry it.
        NotebookKit.Interactive.Inline.Register(hostLoadsPlotly: true);
        var session = new NotebookSession(notebook.Path, CarriedPackages.OfCurrentProcess(), output => Send(new ChildEvent("output", output.Cell, output)));
        await session.WarmUpAsync();
        for (var i = 0; i < plan.Count; i++)
        {
            if (plan[i].Kernel != KernelNames.Default) continue;
            Send(new ChildEvent("start", i));
            var result = await session.RunAsync(i, plan[i]);
            Send(new ChildEvent("end", i, Result: result));
            if (result.Status != CellStatus.Passed) break;
        }
        Send(new ChildEvent("done"));
    }
}

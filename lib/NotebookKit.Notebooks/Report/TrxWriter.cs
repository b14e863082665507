using System.Xml.Linq;
using NotebookKit.Notebooks.Execution;

namespace NotebookKit.Notebooks.Report;

/// <summary>
/// Writes a TRX (Visual Studio test results) file with one test per notebook, so CI systems that read
/// test results list notebooks beside the library's unit tests.
/// </summary>
public static class TrxWriter
{
    static readonly XNamespace Ns = "http://microsoft.com/schemas/VisualStudio/TeamTest/2010";
    const string UnitTestType = "13cdc9d9-ddb5-4fa4-a97d-d965ccfc6d4b";

    /// <summary>Writes the results of <paramref name="runs"/>, which all ended by <paramref name="finished"/>, to <paramref name="path"/>.</summary>
    public static void Write(IReadOnlyList<NotebookRun> runs, DateTimeOffset started, DateTimeOffset finished, string path)
    {
        var listId = Guid.NewGuid().ToString();
        var results = new XElement(Ns + "Results");
        var definitions = new XElement(Ns + "TestDefinitions");
        var entries = new XElement(Ns + "TestEntries");
        foreach (var run in runs)
        {
            var (testId, executionId) = (Guid.NewGuid().ToString(), Guid.NewGuid().ToString());
            var name = run.Notebook.Name;
            var result = new XElement(Ns + "UnitTestResult",
                new XAttribute("executionId", executionId), new XAttribute("testId", testId), new XAttribute("testName", name),
                new XAttribute("computerName", Environment.MachineName), new XAttribute("duration", TimeSpan.FromMilliseconds(run.DurationMs).ToString("c")),
                new XAttribute("startTime", started.ToString("o")), new XAttribute("endTime", finished.ToString("o")),
                new XAttribute("testType", UnitTestType), new XAttribute("outcome", run.Passed ? "Passed" : "Failed"), new XAttribute("testListId", listId));
            var failure = run.Error ?? run.Results.FirstOrDefault(r => r.Error is not null)?.Error;
            if (failure is not null)
                result.Add(new XElement(Ns + "Output", new XElement(Ns + "ErrorInfo", new XElement(Ns + "Message", failure))));
            results.Add(result);
            definitions.Add(new XElement(Ns + "UnitTest", new XAttribute("name", name), new XAttribute("storage", run.Notebook.Path), new XAttribute("id", testId),
                new XElement(Ns + "Execution", new XAttribute("id", executionId)),
                new XElement(Ns + "TestMethod", new XAttribute("codeBase", run.Notebook.Path), new XAttribute("adapterTypeName", "executor://nbk-run"),
                    new XAttribute("className", "Notebooks"), new XAttribute("name", name))));
            entries.Add(new XElement(Ns + "TestEntry", new XAttribute("testId", testId), new XAttribute("executionId", executionId), new XAttribute("testListId", listId)));
        }
        var passed = runs.Count(r => r.Passed);
        var document = new XDocument(new XElement(Ns + "TestRun",
            new XAttribute("id", Guid.NewGuid().ToString()), new XAttribute("name", $"nbk run {finished:yyyy-MM-dd HH:mm:ss}"),
            new XElement(Ns + "Times", new XAttribute("creation", started.ToString("o")), new XAttribute("start", started.ToString("o")), new XAttribute("finish", finished.ToString("o"))),
            results, definitions, entries,
            new XElement(Ns + "TestLists", new XElement(Ns + "TestList", new XAttribute("name", "Notebooks"), new XAttribute("id", listId))),
            new XElement(Ns + "ResultSummary", new XAttribute("outcome", passed == runs.Count ? "Completed" : "Failed"),
                new XElement(Ns + "Counters", new XAttribute("total", runs.Count), new XAttribute("executed", runs.Count), new XAttribute("passed", passed), new XAttribute("failed", runs.Count - passed)))));
        var folder = Path.GetDirectoryName(Path.GetFullPath(path));
        if (folder is not null) Directory.CreateDirectory(folder);
        var temp = $"{path}.{Environment.ProcessId}.tmp";
        document.Save(temp);
        File.Move(temp, path, overwrite: true); // whole: it is rewritten as notebooks finish

    }
}

using NotebookKit.Notebooks.Execution;
using NotebookKit.Notebooks.Parsing;
using NotebookKit.Notebooks.Tests.Execution;

namespace NotebookKit.Notebooks.Tests.Kernel;

/// <summary>
/// The course in the kernel learners use: every notebook, and every notebook with its reference solutions, executed
/// through Jupyter with the pinned .NET Interactive kernel (the binary behind VS Code's Polyglot Notebooks), from a fresh
/// kernel each, must show no error, draw every chart offline, and agree with <c>nbk run</c> on what it showed.
/// </summary>
[Collection(CourseNotebooks.Collection)]
public class KernelNotebookTests
{
    static readonly TimeSpan CellTimeout = TimeSpan.FromMinutes(5);

    public static TheoryData<string> Notebooks() => new(CourseNotebooks.Files().Select(Path.GetFileName).OfType<string>());

    public static TheoryData<string> NotebooksWithExercises() =>
        new(CourseNotebooks.Files().Where(f => Exercises(DibParser.Load(f)) > 0).Select(Path.GetFileName).OfType<string>());

    static int Exercises(Notebook notebook) => notebook.Cells.Count(c => c.FirstLine.StartsWith(RunPlan.ExerciseMarker, StringComparison.Ordinal));

    static string Artifacts(params string[] parts) => Path.Combine([Nbk.RepositoryRoot(), "artifacts", "kernel", .. parts]);

    [Theory]
    [MemberData(nameof(Notebooks))]
    public async Task RunsInTheRealKernelAsInNbkRun(string name)
    {
        var notebook = DibParser.Load(Path.Combine(Nbk.RepositoryRoot(), "notebooks", name));
        var kernel = Jupyter.Execute(JupyterTwin.PathFor(notebook.Path), Artifacts("course"), CellTimeout);
        var headless = await NotebookProcess.RunAsync(notebook, [], CellTimeout, Nbk.Launcher);

        AssertNoErrorAndChartsDrawnOffline(name, kernel);
        // TorchSharp's own fallback for kernels copies libtorch (about 480 MB) into its package folder; NotebookKit's loader makes it unnecessary.
        var packages = Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } custom
            ? custom
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        var packageLib = Path.Combine(packages, "torchsharp", typeof(TorchSharp.torch).Assembly.GetName().Version!.ToString(3), "lib");
        Assert.False(Directory.Exists(packageLib) && Directory.EnumerateDirectories(packageLib, "cpu", SearchOption.AllDirectories).Any(),
            $"the kernel copied libtorch into {packageLib}");
        Assert.True(headless.Passed, $"{name} fails in nbk run: {headless.Error ?? headless.Results.FirstOrDefault(r => r.Error is not null)?.Error}");
        var headlessCharts = headless.Outputs.Count(o => o.MimeType == CellOutput.Html && o.Text.Contains(FigureMarker, StringComparison.Ordinal));
        Assert.True(Charts(kernel).Count == headlessCharts, $"{name}: the kernel drew {Charts(kernel).Count} charts, nbk run {headlessCharts}");
    }

    [Theory]
    [MemberData(nameof(NotebooksWithExercises))]
    public void RunsWithItsSolutionsInTheRealKernel(string name)
    {
        var notebook = DibParser.Load(Path.Combine(Nbk.RepositoryRoot(), "notebooks", name));
        // The merged notebook is written inside the repository: the kernel starts in the notebook's folder and
        // finds the pinned tool through the repository's tool manifest.
        var merged = Artifacts("solutions-input", JupyterTwin.PathFor(name));
        Directory.CreateDirectory(Path.GetDirectoryName(merged)!);
        File.WriteAllText(merged, JupyterTwin.ToJson(RunPlan.Create(notebook, [], withSolutions: true)));

        var kernel = Jupyter.Execute(merged, Artifacts("solutions"), CellTimeout);

        AssertNoErrorAndChartsDrawnOffline(name, kernel);
        var feedback = kernel.Where(o => o.Html?.Contains("nbk-feedback", StringComparison.Ordinal) == true).ToList();
        Assert.DoesNotContain(feedback, o => o.Html!.Contains("nbk-feedback fail", StringComparison.Ordinal));
        Assert.True(feedback.Count(o => o.Html!.Contains("nbk-feedback pass", StringComparison.Ordinal)) >= Exercises(notebook),
            $"{name}: {Exercises(notebook)} exercises but fewer passing checker outputs in the kernel");
    }

    /// <summary>The class every NotebookKit chart's div carries (Charts/Figure.cs).</summary>
    const string FigureMarker = "class=\"nbk-figure\"";

    static List<KernelOutput> Charts(IReadOnlyList<KernelOutput> outputs) =>
        outputs.Where(o => o.Html?.Contains(FigureMarker, StringComparison.Ordinal) == true).ToList();

    static void AssertNoErrorAndChartsDrawnOffline(string name, IReadOnlyList<KernelOutput> outputs)
    {
        var errors = outputs.Where(o => o.Type == "error").Select(o => $"cell {o.Cell}: {o.Text}").ToList();
        Assert.True(errors.Count == 0, $"{name} in the kernel:\n{string.Join("\n", errors)}");
        var charts = Charts(outputs);
        for (var i = 0; i < charts.Count; i++)
        {
            var html = charts[i].Html!;
            Assert.True(html.Contains("window.Plotly.newPlot(el, figure.data", StringComparison.Ordinal) && html.Contains("\"data\":[{", StringComparison.Ordinal),
                $"{name} cell {charts[i].Cell}: a chart output without a figure to draw");
            // plotly.js rides inline with the notebook's first chart, once; the chart itself fetches nothing (no CDN, no require.js).
            Assert.Equal(i == 0, html.Contains("* plotly.js v", StringComparison.Ordinal));
            var chart = html[html.LastIndexOf("<div id=\"nbk-figure-", StringComparison.Ordinal)..];
            Assert.DoesNotContain("http", chart.Replace("http://www.w3.org", "", StringComparison.Ordinal), StringComparison.Ordinal);
            Assert.DoesNotContain("require", chart, StringComparison.Ordinal);
        }
    }
}

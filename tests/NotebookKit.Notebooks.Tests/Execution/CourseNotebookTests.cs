using NotebookKit.Notebooks.Execution;
using NotebookKit.Notebooks.Parsing;

namespace NotebookKit.Notebooks.Tests.Execution;

/// <summary>The course's notebooks, and the test collection that runs them one at a time (each run trains on both cores).</summary>
[CollectionDefinition(Collection)]
public sealed class CourseNotebooks
{
    public const string Collection = "course notebooks";

    public static string[] Files()
    {
        var folder = Path.Combine(Nbk.RepositoryRoot(), "notebooks");
        return Directory.Exists(folder) ? Directory.GetFiles(folder, "*.dib").Order(StringComparer.Ordinal).ToArray() : [];
    }
}

[Collection(CourseNotebooks.Collection)]
public class CourseNotebookTests
{

    static string FirstError(NotebookRun run) => $"{run.Notebook.Name}: {run.Error ?? run.Results.FirstOrDefault(r => r.Error is not null)?.Error}";

    /// <summary>Every notebook in notebooks/ runs headless and passes with its default parameters, exercises left as the learner finds them.</summary>
    [Fact]
    public async Task EveryCourseNotebookRunsAndPasses()
    {
        var failures = new List<string>();
        foreach (var file in CourseNotebooks.Files())
        {
            var run = await NotebookProcess.RunAsync(DibParser.Load(file), [], TimeSpan.FromSeconds(300), Nbk.Launcher);
            if (!run.Passed) failures.Add(FirstError(run));
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    /// <summary>
    /// Every notebook with a <c>seed</c> parameter also passes with another seed, so no claim rests on a lucky seed.
    /// (<c>nbk sweep</c> checks more seeds, one and two threads, and the CPU kernels of other machines.)
    /// </summary>
    [Fact]
    public async Task EveryCourseNotebookPassesWithAnotherSeed()
    {
        var failures = new List<string>();
        var seeded = CourseNotebooks.Files().Select(DibParser.Load).Where(n => RunPlan.DeclaresParameter(n, "seed")).ToList();
        Assert.NotEmpty(seeded);
        foreach (var notebook in seeded)
        {
            var run = await NotebookProcess.RunAsync(notebook, ["seed=2"], TimeSpan.FromSeconds(300), Nbk.Launcher);
            if (!run.Passed) failures.Add(FirstError(run));
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    /// <summary>
    /// With the reference solutions from notebooks/solutions/ in place of the exercise cells, every notebook
    /// still passes and every checker it shows says the answer is right: notebook and solutions stay in sync.
    /// </summary>
    [Fact]
    public async Task EveryReferenceSolutionPassesItsCheckerInsideItsNotebook()
    {
        var failures = new List<string>();
        foreach (var file in CourseNotebooks.Files())
        {
            var notebook = DibParser.Load(file);
            var exercises = notebook.Cells.Count(c => c.FirstLine.StartsWith(RunPlan.ExerciseMarker, StringComparison.Ordinal));
            if (exercises == 0) continue;
            var run = await NotebookProcess.RunAsync(notebook, [], TimeSpan.FromSeconds(300), Nbk.Launcher, withSolutions: true);
            var html = run.Outputs.Where(o => o.MimeType == CellOutput.Html).Select(o => o.Text).ToList();
            var passes = html.Count(h => h.Contains("nbk-feedback pass"));
            if (!run.Passed) failures.Add(FirstError(run));
            else if (html.Any(h => h.Contains("nbk-feedback fail"))) failures.Add($"{notebook.Name}: a checker rejected a reference solution");
            else if (passes < exercises) failures.Add($"{notebook.Name}: {exercises} exercise cells but only {passes} passing checker outputs");
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }
}

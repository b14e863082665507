using NotebookKit.Notebooks.Parsing;
using NotebookKit.Notebooks.Execution;

namespace NotebookKit.Notebooks.Tests.Execution;

public class CourseNotebookTests
{
    /// <summary>Every notebook in notebooks/ runs headless and passes, whatever the folder holds today.</summary>
    [Fact]
    public async Task EveryCourseNotebookRunsAndPasses()
    {
        var folder = Path.Combine(Nbk.RepositoryRoot(), "notebooks");
        var files = Directory.Exists(folder) ? Directory.GetFiles(folder, "*.dib").Order(StringComparer.Ordinal).ToArray() : [];
        var failures = new List<string>();
        foreach (var file in files)
        {
            var run = await NotebookProcess.RunAsync(DibParser.Load(file), [], TimeSpan.FromSeconds(300), Nbk.Launcher);
            if (!run.Passed) failures.Add($"{run.Notebook.Name}: {run.Error ?? run.Results.First(r => r.Error is not null).Error}");
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }
}

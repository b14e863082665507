using NotebookKit.Notebooks.Execution;
using NotebookKit.Notebooks.Parsing;

namespace NotebookKit.Notebooks.Tests.Execution;

public sealed class SolutionsTests : IDisposable
{
    readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    const string Notebook = "#!csharp\n\nint answer = 0;\n\n#!csharp\n\n// exercise: answer\nanswer = 0; // TODO\n\n#!csharp\n\nanswer\n";

    string WriteWithSolutions(string solutions)
    {
        var path = Nbk.Write(_temp, Notebook, "course.dib");
        Directory.CreateDirectory(Path.Combine(Path.GetDirectoryName(path)!, "solutions"));
        File.WriteAllText(RunPlan.SolutionsPath(path), solutions);
        return path;
    }

    [Fact]
    public void Exercise_cells_are_replaced_by_their_solutions_and_nothing_else_changes()
    {
        var path = WriteWithSolutions("#!csharp\n\n// exercise: answer\nanswer = 42;\n");
        var notebook = DibParser.Load(path);
        var plan = RunPlan.Create(notebook, [], withSolutions: true);
        Assert.Equal("// exercise: answer\nanswer = 42;", plan[1].Source);
        Assert.Equal(notebook.Cells[0], plan[0]);
        Assert.Equal(notebook.Cells[2], plan[2]);
        Assert.Equal("// exercise: answer\nanswer = 0; // TODO", RunPlan.Create(notebook, []).ElementAt(1).Source);
    }

    [Fact]
    public async Task A_solution_runs_inside_its_notebook()
    {
        var path = WriteWithSolutions("#!csharp\n\n// exercise: answer\nanswer = 42;\n");
        var run = await NotebookProcess.RunAsync(DibParser.Load(path), [], TimeSpan.FromSeconds(120), Nbk.Launcher, withSolutions: true);
        Assert.True(run.Passed, run.Error);
        Assert.Contains("42", run.Outputs(2)[0]);
    }

    [Fact]
    public void Missing_or_orphan_solutions_are_named()
    {
        var unsolved = WriteWithSolutions("#!csharp\n\n// exercise: other\nanswer = 1;\n");
        var error = Assert.Throws<InvalidDataException>(() => RunPlan.Create(DibParser.Load(unsolved), [], withSolutions: true));
        Assert.Contains("no cell for '// exercise: answer'", error.Message);
        var lonely = Nbk.Write(_temp, Notebook, "lonely.dib");
        var missing = Assert.Throws<FileNotFoundException>(() => RunPlan.Create(DibParser.Load(lonely), [], withSolutions: true));
        Assert.Contains("has no solutions file", missing.Message);
    }

    [Fact]
    public void A_notebook_without_exercises_runs_unchanged_without_a_solutions_file()
    {
        var path = Nbk.Write(_temp, "#!csharp\n\nint answer = 42;\n\n#!csharp\n\nanswer\n", "plain.dib");
        var notebook = DibParser.Load(path);
        Assert.False(File.Exists(RunPlan.SolutionsPath(path)));
        Assert.Equal(notebook.Cells, RunPlan.Create(notebook, [], withSolutions: true));
    }
}

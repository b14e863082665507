using System.Text.Json;
using NotebookKit.Notebooks.Execution;
using NotebookKit.Notebooks.Parsing;
using NotebookKit.Notebooks.Tests.Execution;

namespace NotebookKit.Notebooks.Tests.Parsing;

public sealed class JupyterTwinTests : IDisposable
{
    readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void EveryCourseNotebookHasAnUpToDateTwinWithoutOutputs()
    {
        var stale = new List<string>();
        foreach (var file in CourseNotebooks.Files())
        {
            var twin = JupyterTwin.PathFor(file);
            if (!File.Exists(twin) || File.ReadAllText(twin) != JupyterTwin.ToJson(DibParser.Load(file).Cells)) stale.Add(Path.GetFileName(twin));
        }
        Assert.True(stale.Count == 0, $"missing or stale Jupyter twins: {string.Join(", ", stale)}; run: dotnet run --project lib/NotebookKit.Cli -- ipynb notebooks");
    }

    [Fact]
    public void ATwinHoldsTheSameCellsForTheDotNetCSharpKernel()
    {
        var notebook = DibParser.Parse("#!markdown\n\n# Title\n\n#!csharp\n\nvar x = 1;\nx + 1\n", "t.dib");
        using var json = JsonDocument.Parse(JupyterTwin.ToJson(notebook.Cells));
        var root = json.RootElement;
        Assert.Equal(".net-csharp", root.GetProperty("metadata").GetProperty("kernelspec").GetProperty("name").GetString());
        var cells = root.GetProperty("cells").EnumerateArray().ToList();
        Assert.Equal(["markdown", "code"], cells.Select(c => c.GetProperty("cell_type").GetString()));
        Assert.Equal("var x = 1;\nx + 1", string.Concat(cells[1].GetProperty("source").EnumerateArray().Select(l => l.GetString())));
        Assert.Empty(cells[1].GetProperty("outputs").EnumerateArray());
    }

    [Fact]
    public void NbkIpynbWritesChecksAndMergesSolutions()
    {
        var path = Nbk.Write(_temp, "#!csharp\n\nint answer = 0;\n\n#!csharp\n\n// exercise: answer\nanswer = 0;\n", "course.dib");
        var folder = Path.GetDirectoryName(path)!;
        try
        {
            Directory.CreateDirectory(Path.Combine(folder, "solutions"));
            File.WriteAllText(RunPlan.SolutionsPath(path), "#!csharp\n\n// exercise: answer\nanswer = 42;\n");

            var (missing, _, missingErr) = Nbk.Cli("ipynb", folder, "--check");
            Assert.Equal(1, missing);
            Assert.Contains("course.ipynb", missingErr);
            Assert.Equal(0, Nbk.Cli("ipynb", folder).Exit);
            Assert.Equal(0, Nbk.Cli("ipynb", folder, "--check").Exit);
            File.AppendAllText(path, "\n#!csharp\n\nanswer\n");
            Assert.Equal(1, Nbk.Cli("ipynb", folder, "--check").Exit);

            var merged = Path.Combine(folder, "merged");
            Assert.Equal(0, Nbk.Cli("ipynb", path, "--solutions", "--out", merged).Exit);
            Assert.Contains("answer = 42;", File.ReadAllText(Path.Combine(merged, "course.ipynb")));
            var (bad, _, badErr) = Nbk.Cli("ipynb", path, "--solutions");
            Assert.Equal(2, bad);
            Assert.Contains("--out", badErr);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}

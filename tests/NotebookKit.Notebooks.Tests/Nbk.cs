using System.Diagnostics;
using NotebookKit.Cli.Commands;
using NotebookKit.Notebooks.Execution;
using NotebookKit.Notebooks.Parsing;

namespace NotebookKit.Notebooks.Tests;

/// <summary>Runs notebooks through the real nbk copied next to the tests, each in its own process as <c>nbk run</c> does.</summary>
static class Nbk
{
    public static string Dll => Path.Combine(AppContext.BaseDirectory, "nbk.dll");

    public static ChildLauncher Launcher => new("dotnet", [Dll, RunNotebookCommand.Name]);

    /// <summary>A fresh folder inside <paramref name="root"/>, a test class's temporary folder (see <see cref="TempFolder"/>).</summary>
    public static string Folder(TempFolder root) => Directory.CreateDirectory(Path.Combine(root.Path, Guid.NewGuid().ToString("N"))).FullName;

    /// <summary>Writes a notebook into a fresh folder inside <paramref name="root"/> and returns its path.</summary>
    public static string Write(TempFolder root, string text, string name = "t.dib")
    {
        var path = Path.Combine(Folder(root), name);
        File.WriteAllText(path, text);
        return path;
    }

    /// <summary>Runs notebook text in a notebook process and returns the run.</summary>
    public static Task<NotebookRun> RunAsync(TempFolder root, string text, IReadOnlyList<string>? parameters = null, double cellTimeoutSeconds = 120) =>
        NotebookProcess.RunAsync(DibParser.Load(Write(root, text)), parameters ?? [], TimeSpan.FromSeconds(cellTimeoutSeconds), Launcher);

    /// <summary>Runs the nbk command line and returns its exit code and output.</summary>
    public static (int Exit, string Out, string Err) Cli(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Dll);
        foreach (var a in args) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        return (process.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>The texts a cell showed, in order.</summary>
    public static string[] Outputs(this NotebookRun run, int cell) => run.Outputs.Where(o => o.Cell == cell).Select(o => o.Text).ToArray();

    /// <summary>The repository root (the folder holding NotebookKit.sln).</summary>
    public static string RepositoryRoot()
    {
        var folder = new DirectoryInfo(AppContext.BaseDirectory);
        while (folder is not null && !File.Exists(Path.Combine(folder.FullName, "NotebookKit.sln"))) folder = folder.Parent;
        return folder?.FullName ?? throw new InvalidOperationException($"no NotebookKit.sln above {AppContext.BaseDirectory}");
    }
}

/// <summary>A test class's temporary folder, deleted when xunit disposes the class after each test.</summary>
sealed class TempFolder : IDisposable
{
    /// <summary>The folder's full path.</summary>
    public string Path { get; } = Directory.CreateTempSubdirectory("nbk-test-").FullName;

    /// <summary>Deletes the folder and everything in it.</summary>
    public void Dispose() => Directory.Delete(Path, recursive: true);
}

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

    /// <summary>One temporary folder for every file these tests write, removed when the test process exits.</summary>
    static readonly Lazy<string> Root = new(() =>
    {
        var root = Directory.CreateTempSubdirectory("nbk-test-").FullName;
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Directory.Delete(root, recursive: true);
        return root;
    });

    /// <summary>A fresh folder inside the tests' temporary folder.</summary>
    public static string Folder() => Directory.CreateDirectory(Path.Combine(Root.Value, Guid.NewGuid().ToString("N"))).FullName;

    /// <summary>Writes a notebook into a fresh temporary folder and returns its path.</summary>
    public static string Write(string text, string name = "t.dib")
    {
        var path = Path.Combine(Folder(), name);
        File.WriteAllText(path, text);
        return path;
    }

    /// <summary>Runs notebook text in a notebook process and returns the run.</summary>
    public static Task<NotebookRun> RunAsync(string text, IReadOnlyList<string>? parameters = null, double cellTimeoutSeconds = 120) =>
        NotebookProcess.RunAsync(DibParser.Load(Write(text)), parameters ?? [], TimeSpan.FromSeconds(cellTimeoutSeconds), Launcher);

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

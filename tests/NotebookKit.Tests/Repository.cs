namespace NotebookKit.Tests;

/// <summary>The repository the tests run from, for tests that read its source or data files.</summary>
static class Repository
{
    /// <summary>The folder holding NotebookKit.sln, found upwards from the test assembly.</summary>
    public static string Root()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "NotebookKit.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new DirectoryNotFoundException($"no NotebookKit.sln above {AppContext.BaseDirectory}");
    }
}

using NotebookKit.Notebooks.Execution;

namespace NotebookKit.Notebooks.Tests.Execution;

public sealed class DirectiveTests : IDisposable
{
    readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task UnknownPackageIsRejectedNamingWhatTheRunnerCarries()
    {
        var run = await Nbk.RunAsync(_temp, "#!csharp\n#r \"nuget: Humanizer, 2.14.1\"\n");
        Assert.Equal(CellStatus.Failed, run.Results[0].Status);
        Assert.Equal(2, run.Results[0].ErrorLine);
        Assert.StartsWith("t.dib(2): package Humanizer is not carried by nbk run", run.Results[0].Error);
        Assert.Contains("TorchSharp 0.107.0", run.Results[0].Error);
        Assert.Contains("Plotly.NET 6.0.0", run.Results[0].Error);
    }

    [Fact]
    public async Task WrongVersionIsRejectedWithTheLineToWrite()
    {
        var run = await Nbk.RunAsync(_temp, "#!csharp\n#r \"nuget: torchsharp, 0.106.0\"\n");
        Assert.Equal("t.dib(2): #r asks for TorchSharp with version 0.106.0, but nbk run carries TorchSharp 0.107.0: write #r \"nuget: TorchSharp, 0.107.0\"", run.Results[0].Error);
    }

    [Fact]
    public async Task CarriedPackagesAndTheRelativeLibraryResolveToTheRunnersOwnCopies()
    {
        var notebook = Nbk.Write(_temp, """
            #!csharp
            #i "nuget: https://example.invalid/feed"
            #r "nuget: TorchSharp, 0.107.0"
            #r "nuget: libtorch-cpu-linux-x64, 2.10.0"
            #r "lib/NotebookKit.dll"
            NotebookKit.Runtime.Workbench.Seed(0);
            TorchSharp.torch.ones(2, 3).sum().item<float>()
            #!csharp
            var copies = AppDomain.CurrentDomain.GetAssemblies().Where(a => a.GetName().Name == "NotebookKit").Select(a => a.Location).ToList();
            $"{copies.Count} {copies[0] == System.IO.Path.Combine(AppContext.BaseDirectory, "NotebookKit.dll")}"
            """);
        // A copy of the library beside the notebook, as a notebook sees ../lib/NotebookKit/bin/...; the runner must not load it.
        var lib = Directory.CreateDirectory(Path.Combine(Path.GetDirectoryName(notebook)!, "lib"));
        File.Copy(Path.Combine(AppContext.BaseDirectory, "NotebookKit.dll"), Path.Combine(lib.FullName, "NotebookKit.dll"));
        var run = await NotebookProcess.RunAsync(NotebookKit.Notebooks.Parsing.DibParser.Load(notebook), [], TimeSpan.FromSeconds(120), Nbk.Launcher);
        Assert.True(run.Passed, run.Results.FirstOrDefault(r => r.Error is not null)?.Error);
        // The library may note on the console how it loaded libtorch; the displayed value is the last output.
        Assert.Equal("6", run.Outputs(0)[^1]);
        Assert.Equal(["1 True"], run.Outputs(1));
    }

    [Fact]
    public async Task TheLibraryPackageResolvesToTheRunnersOwnCopyAtItsExactVersion()
    {
        var version = typeof(NotebookKit.Runtime.Workbench).Assembly.GetName().Version!.ToString(3);
        var run = await Nbk.RunAsync(_temp, $$"""
            #!csharp
            #r "nuget: NotebookKit, {{version}}"
            TorchSharp.torch.ones(2).sum().item<float>() + AppDomain.CurrentDomain.GetAssemblies().Count(a => a.GetName().Name == "NotebookKit")
            """);
        Assert.True(run.Passed, run.Results.FirstOrDefault(r => r.Error is not null)?.Error);
        Assert.Equal("3", run.Outputs(0)[^1]);

        var stale = await Nbk.RunAsync(_temp, "#!csharp\n#r \"nuget: NotebookKit, 0.0.1\"\n");
        Assert.Equal($"t.dib(2): #r asks for NotebookKit with version 0.0.1, but nbk run carries NotebookKit {version}: write #r \"nuget: NotebookKit, {version}\"", stale.Results[0].Error);
    }

    [Fact]
    public async Task MissingRelativeAssemblyNamesTheResolvedPath()
    {
        var run = await Nbk.RunAsync(_temp, "#!csharp\n#r \"bin/Nowhere.dll\"\n");
        Assert.Matches(@"^t\.dib\(2\): #r ""bin/Nowhere\.dll"" points at /.+/bin/Nowhere\.dll, which does not exist", run.Results[0].Error);
    }
}

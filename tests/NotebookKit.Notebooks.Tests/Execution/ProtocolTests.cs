using NotebookKit.Notebooks.Execution;
using NotebookKit.Notebooks.Parsing;

namespace NotebookKit.Notebooks.Tests.Execution;

/// <summary>A notebook process that writes lines the runner cannot read: the cell fails with the line named, and the runner lives on.</summary>
public sealed class ProtocolTests : IDisposable
{
    readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    /// <summary>Runs a one-cell notebook with a shell script standing in for the notebook process.</summary>
    Task<NotebookRun> RunWithChild(string script) =>
        NotebookProcess.RunAsync(DibParser.Load(Nbk.Write(_temp, "#!csharp\n1 + 1\n")), [], TimeSpan.FromSeconds(60), new ChildLauncher("/bin/sh", ["-c", script, "sh"]));

    static string Line(string json) => $"printf '\\036nbk:%s\\n' '{json}'; ";

    [Fact]
    public async Task A_malformed_line_fails_the_running_cell_and_later_events_do_not_hide_it()
    {
        var run = await RunWithChild(Line("{\"kind\":\"start\",\"cell\":0}") + Line("{\"kind\":\"output\",\"output\":") +
                                     Line("{\"kind\":\"end\",\"cell\":0,\"result\":{\"status\":\"Passed\"}}") + Line("{\"kind\":\"done\"}"));
        Assert.False(run.Passed);
        var result = Assert.Single(run.Results);
        Assert.Equal(CellStatus.Failed, result.Status);
        Assert.StartsWith("t.dib(2): the notebook process sent a line nbk could not read: malformed protocol line '{\"kind\":\"output\",\"output\":'", result.Error);
    }

    [Fact]
    public async Task An_event_for_a_cell_that_does_not_exist_is_a_notebook_error_not_a_crash()
    {
        var run = await RunWithChild(Line("{\"kind\":\"end\",\"cell\":7,\"result\":{\"status\":\"Passed\"}}") + Line("{\"kind\":\"done\"}"));
        Assert.False(run.Passed);
        Assert.Equal("t.dib: the notebook process sent a line nbk could not read: a 'end' event for cell 7, but the notebook has cells 0 to 0; " +
                     "a bug in nbk's runner, or something wrote to its protocol stream", run.Error);
        Assert.Equal(CellStatus.NotRun, Assert.Single(run.Results).Status);
    }
}

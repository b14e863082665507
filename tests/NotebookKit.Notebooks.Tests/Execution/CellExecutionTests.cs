using NotebookKit.Notebooks.Execution;

namespace NotebookKit.Notebooks.Tests.Execution;

public sealed class CellExecutionTests : IDisposable
{
    readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task StateTypesAndUsingsCarryAcrossCells()
    {
        var run = await Nbk.RunAsync(_temp, """
            #!csharp
            using System.Text.RegularExpressions;
            var n = 20;
            record Point(int X);
            #!csharp
            n += 1;
            Regex.IsMatch("a1", @"\d")
            #!csharp
            await Task.Delay(1);
            new Point(n).X * 2
            """);
        Assert.True(run.Passed, run.Results.FirstOrDefault(r => r.Error is not null)?.Error);
        Assert.Equal(["True"], run.Outputs(1));
        Assert.Equal(["42"], run.Outputs(2));
    }

    [Fact]
    public async Task ConsoleOutputIsCapturedPerCellInOrderWithDisplays()
    {
        var run = await Nbk.RunAsync(_temp, """
            #!csharp
            Console.WriteLine("one");
            #!csharp
            Console.Write("two");
            display(3);
            Console.Error.Write("four");
            #!csharp
            var h = display("first");
            h.Update("second");
            HTML("<b>x</b>")
            """);
        Assert.True(run.Passed);
        Assert.Equal(["one\n"], run.Outputs(0));
        Assert.Equal(["two", "3", "four"], run.Outputs(1));
        Assert.Equal([true, false, true], run.Outputs.Where(o => o.Cell == 1).Select(o => o.IsConsole));
        Assert.Equal([(CellOutput.Plain, "second"), (CellOutput.Html, "<b>x</b>")], run.Outputs.Where(o => o.Cell == 2).Select(o => (o.MimeType, o.Text)));
    }

    [Fact]
    public async Task CompileErrorPointsAtTheDibLineAndLaterCellsDoNotRun()
    {
        var run = await Nbk.RunAsync(_temp, "#!markdown\n\n# Title\n\n#!csharp\n\nvar a = 1;\nvar b = a + missing;\n\n#!csharp\n\na\n");
        Assert.Equal([CellStatus.Rendered, CellStatus.Failed, CellStatus.NotRun], run.Results.Select(r => r.Status));
        Assert.Equal(8, run.Results[1].ErrorLine);
        Assert.StartsWith("t.dib(8,13): error CS0103: The name 'missing' does not exist", run.Results[1].Error);
        Assert.Equal("failed", run.Outcome);
    }

    [Fact]
    public async Task RuntimeErrorPointsAtTheDibLineThatThrew()
    {
        var run = await Nbk.RunAsync(_temp, "#!csharp\n\nvar ok = 1;\n\n#!csharp\n\nvoid Boom()\n{\n    throw new InvalidOperationException(\"boom\");\n}\nvar before = 2;\nBoom();\n");
        Assert.Equal(CellStatus.Failed, run.Results[1].Status);
        Assert.Equal(9, run.Results[1].ErrorLine);
        Assert.Equal("t.dib(9): System.InvalidOperationException: boom", run.Results[1].Error);
    }

    [Fact]
    public async Task ParametersAreInjectedAfterTheParametersCell()
    {
        const string text = """
            #!csharp
            // parameters
            int steps = 1000;
            double lr = 0.1;
            string name = "long";
            #!csharp
            $"{steps} {lr} {name}"
            """;
        var run = await Nbk.RunAsync(_temp, text, ["steps=5", "lr=3e-4", "name=quick run"]);
        Assert.True(run.Passed, run.Results.FirstOrDefault(r => r.Error is not null)?.Error);
        Assert.True(run.Plan[1].Injected);
        Assert.Equal(["5 0.0003 quick run"], run.Outputs(2));

        var bad = await Nbk.RunAsync(_temp, text, ["steps=many"]);
        Assert.Equal(CellStatus.Failed, bad.Results[1].Status);
        Assert.Contains("--param value 'many' is not a Int32", bad.Results[1].Error);
    }

    [Fact]
    public async Task TimeMagicIsImplementedAndOtherMagicFailsNamingIt()
    {
        var run = await Nbk.RunAsync(_temp, "#!csharp\n#!time\nvar x = 1;\n#!csharp\n#!who\nx\n");
        Assert.Equal([CellStatus.Passed, CellStatus.Failed], run.Results.Select(r => r.Status));
        Assert.Matches(@"^Wall time: [\d.]+ms$", Assert.Single(run.Outputs(0)));
        Assert.Equal("t.dib(5): the magic command #!who is not supported by nbk run (it implements #!time only): remove the line, or do the same in C#", run.Results[1].Error);
    }

    [Fact]
    public async Task OtherKernelsAreSkippedNotDropped()
    {
        var run = await Nbk.RunAsync(_temp, "#!fsharp\nlet x = 1\n#!html\n<p>hi</p>\n#!csharp\n1\n");
        Assert.Equal([CellStatus.Skipped, CellStatus.Rendered, CellStatus.Passed], run.Results.Select(r => r.Status));
        Assert.True(run.Passed);
    }
}

using System.Diagnostics;
using System.Text.Json;

namespace NotebookKit.Notebooks.Tests.Execution;

public sealed class NbkRunTests : IDisposable
{
    readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void HungCellIsKilledByTheTimeoutWithExit3AndTheReportIsStillWritten()
    {
        var notebook = Nbk.Write(_temp, "#!csharp\nvar started = 1;\n#!csharp\nwhile (true) { }\n#!csharp\nstarted\n", "hung.dib");
        var report = Path.Combine(Path.GetDirectoryName(notebook)!, "report");
        var trx = Path.Combine(Path.GetDirectoryName(notebook)!, "results.trx");
        var clock = Stopwatch.StartNew();
        var (exit, stdout, _) = Nbk.Cli("run", notebook, "--cell-timeout", "4", "--report", report, "--trx", trx);
        Assert.Equal(3, exit);
        Assert.InRange(clock.Elapsed.TotalSeconds, 4, 60);
        Assert.Contains("hung.dib(4): the cell ran longer than the 4 s cell timeout and was stopped", stdout);
        var page = File.ReadAllText(Path.Combine(report, "hung.html"));
        Assert.Equal(["Passed", "TimedOut", "NotRun"], System.Text.RegularExpressions.Regex.Matches(page, "data-status=\"(\\w+)\"").Select(m => m.Groups[1].Value));
        Assert.Contains("timed out", File.ReadAllText(Path.Combine(report, "index.html")));
        Assert.Contains("outcome=\"Failed\"", File.ReadAllText(trx));
    }

    [Fact]
    public void ExitCodesSayPassedFailedOrBadInput()
    {
        var folder = Path.GetDirectoryName(Nbk.Write(_temp, "#!csharp\n1 + 1\n", "a-pass.dib"))!;
        var report = Path.Combine(folder, "report");
        var (passExit, passOut, _) = Nbk.Cli("run", folder, "--report", report);
        Assert.Equal(0, passExit);
        Assert.Contains("a-pass.dib: passed", passOut);

        File.WriteAllText(Path.Combine(folder, "b-fail.dib"), "#!csharp\nthrow new Exception(\"no\");\n");
        var trx = Path.Combine(folder, "results.trx");
        var (failExit, failOut, _) = Nbk.Cli("run", folder, "--report", report, "--jobs", "2", "--trx", trx);
        Assert.Equal(1, failExit);
        Assert.Contains("b-fail.dib(2): System.Exception: no", failOut);
        Assert.Contains("a-pass.dib: passed", failOut);
        var results = System.Xml.Linq.XDocument.Load(trx).Descendants().Where(e => e.Name.LocalName == "UnitTestResult").ToList();
        Assert.Equal([("a-pass.dib", "Passed"), ("b-fail.dib", "Failed")], results.Select(r => ((string)r.Attribute("testName")!, (string)r.Attribute("outcome")!)));

        File.WriteAllText(Path.Combine(folder, "c-meta.dib"), "#!meta\n\n{\"kernelInfo\":\n\n#!csharp\n1\n");
        var (metaExit, _, metaErr) = Nbk.Cli("run", folder, "--report", report);
        Assert.Equal(2, metaExit);
        Assert.StartsWith("nbk: ", metaErr);
        Assert.Contains("c-meta.dib: the #!meta block at line 1 is not valid JSON", metaErr);
        Assert.DoesNotContain("   at ", metaErr);

        Assert.Equal(2, Nbk.Cli("run", Path.Combine(folder, "nope.dib")).Exit);
        Assert.Equal(2, Nbk.Cli("run", folder, "--jobs", "0").Exit);
        Assert.Equal(2, Nbk.Cli("run", folder, "--param", "not an assignment").Exit);
        Assert.Equal(2, Nbk.Cli("run", "--no-such-option").Exit);
    }

    [Fact]
    public void A_killed_run_leaves_a_readable_report_of_the_notebooks_that_finished()
    {
        var folder = Path.GetDirectoryName(Nbk.Write(_temp, "#!csharp\n1 + 1\n", "a-pass.dib"))!;
        File.WriteAllText(Path.Combine(folder, "b-hang.dib"), "#!csharp\nwhile (true) { }\n");
        var report = Path.Combine(folder, "report");
        var trx = Path.Combine(folder, "results.trx");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { Nbk.Dll, "run", folder, "--report", report, "--trx", trx, "--cell-timeout", "600" }) start.ArgumentList.Add(a);
        using (var process = Process.Start(start)!)
        {
            process.BeginErrorReadLine();
            while (process.StandardOutput.ReadLine() is { } line && !line.StartsWith("a-pass.dib: passed", StringComparison.Ordinal)) { }
            process.Kill(entireProcessTree: true); // as a closed terminal or a CI job's timeout would
            process.WaitForExit();
        }
        var index = File.ReadAllText(Path.Combine(report, "index.html"));
        Assert.Contains("1 of 2 notebooks finished", index);
        Assert.Contains("<a href=\"a-pass.html\">a-pass.dib</a></td><td class=\"passed\">passed", index);
        Assert.Contains("<td>b-hang.dib</td><td class=\"pending\">not run yet", index);
        Assert.Contains("data-status=\"Passed\"", File.ReadAllText(Path.Combine(report, "a-pass.html")));
        Assert.False(File.Exists(Path.Combine(report, "b-hang.html")));
        var results = System.Xml.Linq.XDocument.Load(trx).Descendants().Where(e => e.Name.LocalName == "UnitTestResult");
        Assert.Equal("a-pass.dib", (string)Assert.Single(results).Attribute("testName")!);
        Assert.Empty(Directory.GetFiles(report, "*.tmp"));
    }

    [Theory]
    [InlineData("--report")]
    [InlineData("--trx")]
    public void An_unwritable_report_or_trx_path_is_one_line_before_any_notebook_runs(string flag)
    {
        var notebook = Nbk.Write(_temp, "#!csharp\nSystem.IO.File.WriteAllText(\"ran.txt\", \"\");\n", "a.dib");
        var folder = Path.GetDirectoryName(notebook)!;
        File.WriteAllText(Path.Combine(folder, "a-file"), "x");
        var blocked = Path.Combine(folder, "a-file", "out");
        var (exit, stdout, stderr) = Nbk.Cli(["run", notebook, .. flag == "--report" ? new[] { "--report", blocked } : ["--report", Path.Combine(folder, "report"), "--trx", blocked]]);
        Assert.Equal(2, exit);
        Assert.Equal($"nbk: {flag} '{blocked}' cannot be written", stderr[..stderr.IndexOf(" (", StringComparison.Ordinal)]);
        Assert.Single(stderr.TrimEnd().Split('\n'));
        Assert.Equal("", stdout);
    }

    [Fact]
    public void ParsePrintsCellsAsJson()
    {
        var notebook = Nbk.Write(_temp, "#!markdown\n\n# Hi\n\n#!cs\n\nvar x = \"<\";\n");
        var (exit, stdout, _) = Nbk.Cli("parse", notebook);
        Assert.Equal(0, exit);
        using var json = JsonDocument.Parse(stdout);
        Assert.Equal([("markdown", "# Hi"), ("csharp", "var x = \"<\";")],
            json.RootElement.EnumerateArray().Select(c => (c.GetProperty("kernel").GetString(), c.GetProperty("source").GetString())));
    }
}

using NotebookKit.Notebooks.Parsing;

namespace NotebookKit.Notebooks.Tests.Parsing;

public sealed class DibParserTests : IDisposable
{
    readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    static IEnumerable<(string Kernel, string Source)> Cells(string text) => DibParser.Parse(text, "test.dib").Cells.Select(c => (c.Kernel, c.Source));

    [Fact]
    public void CrlfAndLfGiveTheSameCells()
    {
        var lf = "#!csharp\n\nvar x = 1;\nx\n\n#!markdown\n\n# Title\n";
        var crlf = lf.Replace("\n", "\r\n");
        Assert.Equal(Cells(lf), Cells(crlf));
        Assert.Equal([("csharp", "var x = 1;\nx"), ("markdown", "# Title")], Cells(crlf));
    }

    [Fact]
    public void AliasesMapToTheirKernelAndMatchingIsExact()
    {
        var text = "#!cs\na\n#!c#\nb\n#!fs\nc\n#!md\nd\n#!js\ne\n#!powershell\nf\n#!CSharp\n#!Markdown\n";
        Assert.Equal(
            [("csharp", "a"), ("csharp", "b"), ("fsharp", "c"), ("markdown", "d"), ("javascript", "e"), ("pwsh", "f\n#!CSharp\n#!Markdown")],
            Cells(text));
    }

    [Fact]
    public void UnknownMagicLinesStayInTheCell()
    {
        Assert.Equal([("csharp", "#!time\n#!who\nvar x = 1;")], Cells("#!csharp\n#!time\n#!who\nvar x = 1;\n"));
    }

    [Fact]
    public void MetaBlockAddsKernelNamesAndOnlyTheFirstCounts()
    {
        const string meta = """{"kernelInfo":{"defaultKernelName":"csharp","items":[{"aliases":[],"name":"csharp"},{"aliases":["tsql"],"languageName":"SQL","name":"sql"}]}}""";
        var text = $"#!meta\n\n{meta}\n\n#!tsql\n\nselect 1\n\n#!meta\n\n{{\"kernelInfo\":{{\"items\":[{{\"name\":\"kql\"}}]}}}}\n\n#!csharp\n\n#!kql\nx\n";
        var notebook = DibParser.Parse(text, "t.dib");
        Assert.Equal(meta, notebook.MetaJson);
        Assert.Equal([("sql", "select 1"), ("csharp", "#!kql\nx")], notebook.Cells.Select(c => (c.Kernel, c.Source)));
        // Without the meta block the same line is an ordinary line of the default cell.
        Assert.Equal([("csharp", "#!tsql\nselect 1")], Cells("#!tsql\nselect 1\n"));
    }

    [Fact]
    public void EmptyCellsAreDroppedAndOnlyTrulyEmptyLinesTrimmed()
    {
        Assert.Equal([("markdown", "text")], Cells("#!csharp\n\n\n#!fsharp\n#!markdown\n\ntext\n\n\n"));
        Assert.Equal([("csharp", "  \nx\n ")], Cells("#!csharp\n\n  \nx\n \n\n"));
    }

    [Fact]
    public void TextBeforeTheFirstSeparatorIsCSharpAndLinesAreCounted()
    {
        var notebook = DibParser.Parse("\nvar a = 1;\n#!markdown\n\n\nHello\n", "t.dib");
        Assert.Equal([("csharp", "var a = 1;", 2), ("markdown", "Hello", 6)], notebook.Cells.Select(c => (c.Kernel, c.Source, c.Line)));
    }

    [Fact]
    public void MalformedMetaNamesTheFileAndLine()
    {
        var e = Assert.Throws<FormatException>(() => DibParser.Parse("#!csharp\nx\n#!meta\n\n{\"kernelInfo\": [\n", "bad.dib"));
        Assert.Contains("bad.dib", e.Message);
        Assert.Contains("line 3", e.Message);
    }

    [Fact]
    public void LoadRejectsMissingFilesOtherFormatsAndBadBytes()
    {
        var folder = Nbk.Folder(_temp);
        var missing = Path.Combine(folder, "missing.dib");
        Assert.Contains("missing.dib does not exist", Assert.Throws<FileNotFoundException>(() => DibParser.Load(missing)).Message);
        var ipynb = Path.Combine(folder, "a.ipynb");
        File.WriteAllText(ipynb, "{}");
        Assert.Contains("not a .dib notebook", Assert.Throws<FormatException>(() => DibParser.Load(ipynb)).Message);
        var latin1 = Path.Combine(folder, "latin1.dib");
        File.WriteAllBytes(latin1, [(byte)'#', (byte)'!', (byte)'c', (byte)'s', (byte)'\n', 0xE9, (byte)'\n']);
        Assert.Contains("not UTF-8 text (bad byte at offset 5)", Assert.Throws<FormatException>(() => DibParser.Load(latin1)).Message);
    }
}

namespace NotebookKit.Notebooks.Parsing;

/// <summary>
/// Writes notebooks in the canonical .dib form VS Code saves: the <c>#!meta</c> block, then each
/// cell as <c>#!kernel</c>, an empty line, its text and an empty line, with the file's own line
/// ending. Parsing a file VS Code saved and writing it back gives the same bytes.
/// </summary>
public static class DibWriter
{
    /// <summary>The canonical text of a notebook.</summary>
    public static string Write(Notebook notebook)
    {
        var lines = new List<string>();
        if (notebook.MetaJson is not null) AddBlock(lines, "meta", notebook.MetaJson);
        foreach (var cell in notebook.Cells) AddBlock(lines, cell.Kernel, cell.Source);
        return string.Join(notebook.Newline, lines);
    }

    static void AddBlock(List<string> lines, string kernel, string text)
    {
        lines.Add("#!" + kernel);
        lines.Add("");
        lines.AddRange(text.Split('\n'));
        lines.Add("");
    }
}

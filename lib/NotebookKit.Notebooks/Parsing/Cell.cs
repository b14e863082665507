namespace NotebookKit.Notebooks.Parsing;

/// <summary>One cell of a notebook.</summary>
/// <param name="Kernel">The canonical kernel name (aliases resolved): csharp, markdown, html, ...</param>
/// <param name="Source">The cell's text, lines joined with <c>\n</c>, leading and trailing empty lines trimmed.</param>
/// <param name="Line">The 1-based line of the .dib file that holds the first line of <see cref="Source"/>; error messages point there.</param>
public sealed record Cell(string Kernel, string Source, int Line)
{
    /// <summary>True for a cell the runner added (the <c>--param</c> overrides), not one read from the file.</summary>
    public bool Injected { get; init; }

    /// <summary>The first line of the source, used for the <c>// parameters</c> and <c>// exercise:</c> markers.</summary>
    public string FirstLine => Source.Split('\n', 2)[0].Trim();
}

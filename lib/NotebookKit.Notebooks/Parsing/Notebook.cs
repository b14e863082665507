namespace NotebookKit.Notebooks.Parsing;

/// <summary>A parsed .dib notebook.</summary>
/// <param name="Path">The file it was read from (full path), or a display name for text parsed in memory.</param>
/// <param name="MetaJson">The JSON of the first <c>#!meta</c> block exactly as written, or null when the file has none.</param>
/// <param name="Cells">The non-empty cells in file order.</param>
public sealed record Notebook(string Path, string? MetaJson, IReadOnlyList<Cell> Cells)
{
    /// <summary>The file name without folder, for messages and report titles.</summary>
    public string Name => System.IO.Path.GetFileName(Path);
}

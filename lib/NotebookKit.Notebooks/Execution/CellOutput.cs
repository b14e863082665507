namespace NotebookKit.Notebooks.Execution;

/// <summary>One thing a cell showed.</summary>
/// <param name="Id">Unique within a notebook run; a display handle's <c>Update</c> replaces the output with the same id.</param>
/// <param name="Cell">Index of the cell (in the run plan) that owns the output.</param>
/// <param name="MimeType"><c>text/html</c> (written into the report as is) or <c>text/plain</c> (HTML-escaped).</param>
/// <param name="Text">The formatted value.</param>
/// <param name="IsConsole">True for text the cell wrote to the console.</param>
public sealed record CellOutput(int Id, int Cell, string MimeType, string Text, bool IsConsole = false)
{
    /// <summary>The HTML MIME type.</summary>
    public const string Html = "text/html";

    /// <summary>The plain-text MIME type.</summary>
    public const string Plain = "text/plain";
}

using Microsoft.DotNet.Interactive.Documents;
using Microsoft.DotNet.Interactive.Documents.Jupyter;

namespace NotebookKit.Notebooks.Parsing;

/// <summary>
/// The Jupyter twin of a .dib notebook: the same cells as an .ipynb without outputs, written by the
/// .NET Interactive kernel's own document library, so VS Code's Jupyter extension, JupyterLab and
/// Jupyter Notebook open the course with the .NET (C#) kernel.
/// </summary>
public static class JupyterTwin
{
    /// <summary>Where the twin of <paramref name="dibPath"/> lives: beside it, with the .ipynb extension.</summary>
    public static string PathFor(string dibPath) => Path.ChangeExtension(dibPath, ".ipynb");

    /// <summary>The .ipynb text for these cells (as the runner sees them: parsed by <see cref="DibParser"/>,
    /// with solutions merged when a caller asked for that), with the kernel metadata of the .NET (C#) kernel.</summary>
    public static string ToJson(IEnumerable<Cell> cells)
    {
        var document = new InteractiveDocument();
        foreach (var cell in cells) document.Add(new InteractiveDocumentElement(cell.Source, cell.Kernel));
        return document.ToJupyterJson(defaultLanguage: "C#").ReplaceLineEndings("\n") + "\n";
    }
}

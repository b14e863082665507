using System.Text.RegularExpressions;
using NotebookKit.Notebooks.Parsing;

namespace NotebookKit.Notebooks.Execution;

/// <summary>
/// The cells a run executes: the notebook's own, plus, when <c>--param</c> values are given, one
/// injected cell right after the <c>// parameters</c> cell that overrides its defaults. The same
/// notebook thus serves a long run and a quick CI run.
/// </summary>
public static partial class RunPlan
{
    /// <summary>The first line that marks a cell holding parameter defaults.</summary>
    public const string ParametersMarker = "// parameters";

    /// <summary>The prefix of the first line that marks a cell that must throw.</summary>
    public const string ExpectErrorMarker = "// expect-error:";

    /// <summary>
    /// The cells to run. Each <paramref name="parameters"/> entry becomes <c>name = Parameter(name, "value");</c>
    /// in the injected cell: <see cref="NotebookGlobals.Parameter{T}"/> converts the text to the type of the
    /// default, so <c>steps=50</c> sets an int and <c>lr=3e-4</c> a double. Without a parameters cell, nothing is injected.
    /// </summary>
    /// <exception cref="ArgumentException">A parameter is not <c>name=value</c> with a C# identifier as name.</exception>
    public static IReadOnlyList<Cell> Create(Notebook notebook, IReadOnlyList<string> parameters)
    {
        var assignments = parameters.Select(ParseAssignment).ToList();
        var index = notebook.Cells.ToList().FindIndex(c => c.Kernel == KernelNames.Default && c.FirstLine == ParametersMarker);
        if (assignments.Count == 0 || index < 0) return notebook.Cells;
        var lines = assignments.Select(a => $"{a.Name} = Parameter({a.Name}, {Microsoft.CodeAnalysis.CSharp.SymbolDisplay.FormatLiteral(a.Value, true)});");
        var injected = new Cell(KernelNames.Default, "// injected by --param\n" + string.Join("\n", lines), notebook.Cells[index].Line) { Injected = true };
        var cells = notebook.Cells.ToList();
        cells.Insert(index + 1, injected);
        return cells;
    }

    /// <summary>The fragment an expect-error cell requires, or null for an ordinary cell.</summary>
    public static string? ExpectedError(Cell cell) =>
        cell.FirstLine.StartsWith(ExpectErrorMarker, StringComparison.Ordinal) ? cell.FirstLine[ExpectErrorMarker.Length..].Trim() : null;

    static (string Name, string Value) ParseAssignment(string parameter)
    {
        var eq = parameter.IndexOf('=');
        var name = eq > 0 ? parameter[..eq].Trim() : "";
        if (!Identifier().IsMatch(name))
            throw new ArgumentException($"--param '{parameter}' is not name=value with a C# variable name: write e.g. --param steps=50");
        return (name, parameter[(eq + 1)..]);
    }

    [GeneratedRegex(@"^[A-Za-z_][A-Za-z0-9_]*$")]
    private static partial Regex Identifier();
}

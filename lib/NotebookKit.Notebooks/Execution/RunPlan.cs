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

    /// <summary>The prefix of the first line that marks a learner's exercise cell, followed by the exercise's id.</summary>
    public const string ExerciseMarker = "// exercise:";

    /// <summary>
    /// The cells to run. Each <paramref name="parameters"/> entry becomes <c>name = Parameter(name, "value");</c>
    /// in the injected cell: <see cref="NotebookGlobals.Parameter{T}"/> converts the text to the type of the
    /// default, so <c>steps=50</c> sets an int and <c>lr=3e-4</c> a double. Without a parameters cell, nothing is injected.
    /// </summary>
    /// <param name="notebook">The notebook to run.</param>
    /// <param name="parameters"><c>--param name=value</c> overrides.</param>
    /// <param name="withSolutions">Replace every <c>// exercise: id</c> cell by the cell with the same first line in
    /// <c>solutions/NAME.dib</c> beside the notebook, so the reference solutions are checked inside their notebook.</param>
    /// <exception cref="ArgumentException">A parameter is not <c>name=value</c> with a C# identifier as name.</exception>
    /// <exception cref="FileNotFoundException">Solutions were asked for, the notebook has exercises and its solutions file does not exist.</exception>
    /// <exception cref="InvalidDataException">An exercise has no solution, or a solution has no exercise.</exception>
    public static IReadOnlyList<Cell> Create(Notebook notebook, IReadOnlyList<string> parameters, bool withSolutions = false)
    {
        var cells = withSolutions ? WithSolutions(notebook) : notebook.Cells.ToList();
        var assignments = parameters.Select(ParseAssignment).ToList();
        var index = cells.FindIndex(c => c.Kernel == KernelNames.Default && c.FirstLine == ParametersMarker);
        if (assignments.Count == 0 || index < 0) return cells;
        var lines = assignments.Select(a => $"{a.Name} = Parameter({a.Name}, {Microsoft.CodeAnalysis.CSharp.SymbolDisplay.FormatLiteral(a.Value, true)});");
        var injected = new Cell(KernelNames.Default, "// injected by --param\n" + string.Join("\n", lines), cells[index].Line) { Injected = true };
        cells.Insert(index + 1, injected);
        return cells;
    }

    /// <summary>Whether the notebook's <c>// parameters</c> cell declares <paramref name="name"/> (<c>var name = ...</c>), so <c>--param name=value</c> sets it.</summary>
    public static bool DeclaresParameter(Notebook notebook, string name) =>
        notebook.Cells.FirstOrDefault(c => c.FirstLine.StartsWith(ParametersMarker, StringComparison.Ordinal)) is { } cell &&
        Regex.IsMatch(cell.Source, $@"^\s*var\s+{Regex.Escape(name)}\s*=", RegexOptions.Multiline);

    /// <summary>The path of the solutions notebook that belongs to <paramref name="notebookPath"/>.</summary>
    public static string SolutionsPath(string notebookPath) =>
        Path.Combine(Path.GetDirectoryName(Path.GetFullPath(notebookPath))!, "solutions", Path.GetFileName(notebookPath));

    static List<Cell> WithSolutions(Notebook notebook)
    {
        var path = SolutionsPath(notebook.Path);
        var exercises = notebook.Cells.Where(c => c.FirstLine.StartsWith(ExerciseMarker, StringComparison.Ordinal)).Select(c => c.FirstLine.Trim()).ToHashSet();
        // A notebook without exercises (such as the course's first) runs as it is; it needs no solutions file.
        if (exercises.Count == 0 && !File.Exists(path)) return notebook.Cells.ToList();
        if (!File.Exists(path))
            throw new FileNotFoundException($"{notebook.Path} has no solutions file: expected {path} with one '{ExerciseMarker} id' cell per exercise", path);
        var solutions = DibParser.Load(path).Cells.Where(c => c.FirstLine.StartsWith(ExerciseMarker, StringComparison.Ordinal))
            .ToDictionary(c => c.FirstLine.Trim());
        if (exercises.FirstOrDefault(e => !solutions.ContainsKey(e)) is { } unsolved)
            throw new InvalidDataException($"{path} has no cell for '{unsolved}' of {notebook.Path}: add one that starts with that line");
        if (solutions.Keys.FirstOrDefault(s => !exercises.Contains(s)) is { } orphan)
            throw new InvalidDataException($"{path} solves '{orphan}', which {notebook.Path} does not have: rename or remove that cell");
        return notebook.Cells.Select(c => solutions.TryGetValue(c.FirstLine.Trim(), out var solution) ? c with { Source = solution.Source } : c).ToList();
    }

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

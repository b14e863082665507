using System.Reflection;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using NotebookKit.Notebooks.Parsing;

namespace NotebookKit.Notebooks.Execution;

/// <summary>A C# cell made ready for Roslyn: directives removed (their lines left blank so line numbers hold) and turned into references.</summary>
/// <param name="Code">The code, starting with a <c>#line</c> directive so errors point at the .dib file.</param>
/// <param name="References">Assemblies the cell's <c>#r</c> lines asked for.</param>
/// <param name="Time">True when the cell starts with <c>#!time</c>.</param>
public sealed record PreparedCell(string Code, IReadOnlyList<MetadataReference> References, bool Time);

/// <summary>An error in a cell's directives, with the .dib line it is on.</summary>
public sealed class DirectiveException(string message, int line) : Exception(message)
{
    /// <summary>The 1-based .dib line.</summary>
    public int Line { get; } = line;
}

/// <summary>
/// Handles the lines Roslyn must not see, as Polyglot Notebooks' C# kernel did:
/// <c>#r "nuget: Name, Version"</c> is satisfied from the packages the runner carries (exact version, or a
/// clear error naming what is carried); <c>#r "path.dll"</c> resolves from the notebook's folder and maps an
/// assembly the runner already has to that copy; <c>#i</c> (package sources) is accepted and has no effect;
/// <c>#!time</c> reports the cell's wall time; any other <c>#!</c> magic fails the cell naming it.
/// </summary>
public sealed partial class CellDirectives(string notebookPath, CarriedPackages carried)
{
    readonly Dictionary<string, string> _platformAssemblies = ((AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES") as string) ?? "")
        .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
        .GroupBy(p => Path.GetFileNameWithoutExtension(p), StringComparer.OrdinalIgnoreCase)
        .ToDictionary(g => g.Key, g => g.First(), StringComparer.OrdinalIgnoreCase);

    /// <summary>Rewrites one cell. </summary>
    /// <exception cref="DirectiveException">A directive cannot be satisfied; the message says which line and what to write instead.</exception>
    public PreparedCell Prepare(Cell cell)
    {
        var lines = cell.Source.Split('\n');
        var references = new List<MetadataReference>();
        var time = false;
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].Trim();
            var at = $"{Path.GetFileName(notebookPath)}({cell.Line + i})";
            if (NugetReference().Match(line) is { Success: true } nuget)
                references.AddRange(Package(nuget.Groups[1].Value.Trim(), nuget.Groups[2].Success ? nuget.Groups[2].Value.Trim() : null, at, cell.Line + i));
            else if (FileReference().Match(line) is { Success: true } file)
                references.Add(Assembly(file.Groups[1].Value, at, cell.Line + i));
            else if (line.StartsWith("#i ", StringComparison.Ordinal) || line == "#i") { }
            else if (line == "#!time") time = true;
            else if (line.StartsWith("#!", StringComparison.Ordinal))
                throw new DirectiveException($"{at}: the magic command {line.Split(' ')[0]} is not supported by nbk run (it implements #!time only): remove the line, or do the same in C#", cell.Line + i);
            else continue;
            lines[i] = "";
        }
        var code = new StringBuilder().Append("#line ").Append(cell.Line).Append(" \"").Append(notebookPath.Replace("\\", "\\\\")).Append("\"\n");
        code.AppendJoin('\n', lines);
        return new PreparedCell(code.ToString(), references, time);
    }

    IEnumerable<MetadataReference> Package(string name, string? version, string at, int line)
    {
        var package = carried.Find(name);
        if (package is null)
        {
            var list = string.Join(", ", carried.All.Select(p => $"{p.Name} {p.Version}"));
            throw new DirectiveException($"{at}: package {name} is not carried by nbk run, and the runner cannot download packages. It carries: {list}", line);
        }
        if (version != package.Version)
        {
            var asked = version is null ? "no version" : $"version {version}";
            throw new DirectiveException($"{at}: #r asks for {package.Name} with {asked}, but nbk run carries {package.Name} {package.Version}: write #r \"nuget: {package.Name}, {package.Version}\"", line);
        }
        return carried.WithDependencies(package)
            .SelectMany(p => p.Assemblies)
            .Select(Path.GetFileNameWithoutExtension)
            .Select(n => _platformAssemblies.GetValueOrDefault(n!))
            .OfType<string>()
            .Select(p => (MetadataReference)MetadataReference.CreateFromFile(p));
    }

    PortableExecutableReference Assembly(string relative, string at, int line)
    {
        var path = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(notebookPath)!, relative));
        var name = File.Exists(path) ? AssemblyName.GetAssemblyName(path).Name! : Path.GetFileNameWithoutExtension(path);
        // An assembly the runner already loads is referenced from its own copy: a second copy would make
        // two distinct sets of types (a NotebookKit.Model.TinyGpt from each) that do not mix.
        if (_platformAssemblies.TryGetValue(name, out var carriedCopy)) return MetadataReference.CreateFromFile(carriedCopy);
        if (!File.Exists(path))
            throw new DirectiveException($"{at}: #r \"{relative}\" points at {path}, which does not exist: build it first (dotnet build) or fix the path (it is relative to the notebook's folder)", line);
        return MetadataReference.CreateFromFile(path);
    }

    [GeneratedRegex("^#r\\s+\"nuget:\\s*([^,\"]+)(?:,\\s*([^\"]*?))?\\s*\"$")]
    private static partial Regex NugetReference();

    [GeneratedRegex("^#r\\s+\"([^\"]+)\"$")]
    private static partial Regex FileReference();
}

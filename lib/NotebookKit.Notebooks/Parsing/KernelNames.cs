namespace NotebookKit.Notebooks.Parsing;

/// <summary>
/// The kernel names a <c>#!name</c> line may use to start a cell, with their aliases, as the
/// original .dib reader knew them. Matching is exact and case-sensitive: <c>#!CSharp</c> is not a
/// separator and stays in the cell as an ordinary line.
/// </summary>
public sealed class KernelNames
{
    /// <summary>The kernel of text before the first separator.</summary>
    public const string Default = "csharp";

    readonly Dictionary<string, string> _byAlias = new(StringComparer.Ordinal);

    /// <summary>The built-in kernels: C#, F#, PowerShell, JavaScript, HTML, Mermaid, HTTP, value and markdown.</summary>
    public KernelNames()
    {
        Add("csharp", "cs", "c#");
        Add("fsharp", "fs", "f#");
        Add("pwsh", "powershell");
        Add("javascript", "js");
        Add("html");
        Add("mermaid");
        Add("http");
        Add("value");
        Add("markdown", "md");
    }

    /// <summary>Registers a kernel name and its aliases (a <c>#!meta</c> block may add kernels).</summary>
    public void Add(string name, params string[] aliases)
    {
        _byAlias[name] = name;
        foreach (var alias in aliases) _byAlias.TryAdd(alias, name);
    }

    /// <summary>The kernel a separator line names, or null when the line is not a separator.</summary>
    public string? KernelOf(string line) =>
        line.StartsWith("#!", StringComparison.Ordinal) && _byAlias.TryGetValue(line[2..], out var name) ? name : null;
}

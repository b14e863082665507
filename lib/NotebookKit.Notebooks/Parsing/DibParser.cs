using System.Text;
using System.Text.Json;

namespace NotebookKit.Notebooks.Parsing;

/// <summary>
/// Reads .dib files by the rules of the original Polyglot Notebooks reader, so a notebook means
/// the same thing in VS Code and in <c>nbk run</c>.
/// </summary>
/// <remarks>
/// A cell starts at a line that is exactly <c>#!</c> followed by a known kernel name or alias
/// (see <see cref="KernelNames"/>); any other <c>#!</c> line (a magic command such as
/// <c>#!time</c>) stays in the cell. Text before the first separator is C#. Only the first
/// <c>#!meta</c> block is read; its JSON may declare more kernel names. Each cell loses its
/// leading and trailing empty lines (lines holding only spaces are kept, as the original did),
/// and cells left empty are dropped. <c>\r\n</c> and <c>\n</c> are both accepted.
/// </remarks>
public static class DibParser
{
    const string MetaLine = "#!meta";

    /// <summary>Reads and parses a .dib file.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="FormatException">The file is not a .dib, cannot be read, is not UTF-8 text, or its <c>#!meta</c> JSON is malformed; the message names the file and the fix.</exception>
    public static Notebook Load(string path)
    {
        var full = System.IO.Path.GetFullPath(path);
        if (Directory.Exists(full))
            throw new FormatException($"{path} is a folder: pass a .dib file, or give the folder to `nbk run`, which runs every *.dib in it");
        if (!File.Exists(full))
            throw new FileNotFoundException($"{path} does not exist: check the path (it is resolved from {Environment.CurrentDirectory})", path);
        if (!full.EndsWith(".dib", StringComparison.OrdinalIgnoreCase))
            throw new FormatException($"{path} is not a .dib notebook: nbk reads Polyglot Notebooks' .dib text format only (save .ipynb files as .dib in VS Code)");
        string text;
        try
        {
            text = new UTF8Encoding(false, true).GetString(File.ReadAllBytes(full));
        }
        catch (DecoderFallbackException e)
        {
            throw new FormatException($"{path} is not UTF-8 text (bad byte at offset {e.Index}): save it as UTF-8; .dib files are plain text");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new FormatException($"{path} cannot be read ({e.Message}): check its permissions");
        }
        return Parse(text.TrimStart('\uFEFF'), full);
    }

    /// <summary>Parses .dib text; <paramref name="path"/> is used in messages and kept on the result.</summary>
    public static Notebook Parse(string text, string path)
    {
        var lines = text.Split('\n').Select(l => l.EndsWith('\r') ? l[..^1] : l).ToArray();
        var kernels = new KernelNames();
        var meta = ReadFirstMeta(lines, path, kernels);

        var cells = new List<Cell>();
        var kernel = KernelNames.Default;
        var body = new List<(string Text, int Line)>();
        var inMeta = false;
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i];
            var next = line == MetaLine ? MetaLine : kernels.KernelOf(line);
            if (next is null && inMeta && line.StartsWith("#!", StringComparison.Ordinal))
            {
                // A magic line ends a metadata block; what follows belongs to the default kernel.
                inMeta = false;
                kernel = KernelNames.Default;
            }
            if (next is not null)
            {
                Flush(cells, kernel, body);
                inMeta = next == MetaLine;
                kernel = next;
            }
            else if (!inMeta)
            {
                body.Add((line, i + 1));
            }
        }
        Flush(cells, kernel, body);
        return new Notebook(path, meta, cells);
    }

    /// <summary>Finds the first <c>#!meta</c> block, checks its JSON and registers the kernels it declares.</summary>
    static string? ReadFirstMeta(string[] lines, string path, KernelNames kernels)
    {
        var start = Array.IndexOf(lines, MetaLine);
        if (start < 0) return null;
        var end = start + 1;
        while (end < lines.Length && !lines[end].StartsWith("#!", StringComparison.Ordinal)) end++;
        var json = string.Join("\n", lines[(start + 1)..end]).Trim('\n');
        if (json.Length == 0) return null;
        try
        {
            using var doc = JsonDocument.Parse(json);
            if (doc.RootElement.TryGetProperty("kernelInfo", out var info) && info.TryGetProperty("items", out var items) && items.ValueKind == JsonValueKind.Array)
            {
                foreach (var item in items.EnumerateArray())
                {
                    if (!item.TryGetProperty("name", out var name) || name.GetString() is not { Length: > 0 } kernelName) continue;
                    var aliases = item.TryGetProperty("aliases", out var a) && a.ValueKind == JsonValueKind.Array
                        ? a.EnumerateArray().Select(x => x.GetString()).OfType<string>().ToArray()
                        : [];
                    kernels.Add(kernelName, aliases);
                }
            }
        }
        catch (JsonException e)
        {
            throw new FormatException($"{path}: the #!meta block at line {start + 1} is not valid JSON ({e.Message}): fix it, or delete the block and let VS Code write a new one");
        }
        return json;
    }

    static void Flush(List<Cell> cells, string kernel, List<(string Text, int Line)> body)
    {
        var first = body.FindIndex(l => l.Text.Length > 0);
        if (first >= 0 && kernel != MetaLine)
        {
            var last = body.FindLastIndex(l => l.Text.Length > 0);
            var kept = body.GetRange(first, last - first + 1);
            cells.Add(new Cell(kernel, string.Join("\n", kept.Select(l => l.Text)), kept[0].Line));
        }
        body.Clear();
    }
}

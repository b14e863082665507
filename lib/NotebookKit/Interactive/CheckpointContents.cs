using NotebookKit.Checkpoints;

namespace NotebookKit.Interactive;

/// <summary>One thing a checkpoint saves.</summary>
/// <param name="What">What it is for, e.g. "optimizer moments (m, v)" or "RNG state".</param>
/// <param name="File">Where it is stored, relative to the checkpoint folder.</param>
/// <param name="Bytes">Its size on disk.</param>
public sealed record CheckpointEntry(string What, string File, long Bytes);

/// <summary>
/// A checkpoint's contents as a table: what is saved, in which file, how big, and the total. Build
/// it from any list of entries, or from a checkpoint's own file list with <see cref="Of"/>.
/// </summary>
/// <param name="Entries">The saved parts, in the order to show them.</param>
/// <param name="Caption">Shown above the table.</param>
public sealed record CheckpointContents(IReadOnlyList<CheckpointEntry> Entries, string Caption = "What this checkpoint saves")
{
    /// <summary>
    /// What a checkpoint holds, file by file (<see cref="Checkpoint.Files"/>), as a table that renders inline in a notebook.
    /// </summary>
    /// <param name="checkpoint">A step-NNNNNNNN directory; every checksum is checked first.</param>
    public static CheckpointContents Of(string checkpoint) =>
        new(Checkpoint.Files(checkpoint).Select(f => new CheckpointEntry(f.What, f.File, f.Bytes)).ToArray(),
            $"What {Path.GetFileName(Path.TrimEndingDirectorySeparator(checkpoint))} saves");

    /// <summary>Total bytes of every entry.</summary>
    public long TotalBytes => Entries.Sum(e => e.Bytes);

    /// <summary>The table as an HTML fragment, sizes in binary units (KiB, MiB) with exact byte counts beside them.</summary>
    public string ToHtml()
    {
        var table = new HtmlTable(Caption, "what", "file", "size", "bytes");
        foreach (var e in Entries)
            table.Row([e.What, e.File, Size(e.Bytes), e.Bytes.ToString("N0", System.Globalization.CultureInfo.InvariantCulture)]);
        table.Row(["total", "", Size(TotalBytes), TotalBytes.ToString("N0", System.Globalization.CultureInfo.InvariantCulture)], "#f3f3f3");
        return table.ToString();
    }

    /// <summary>Plain text: one "what  file  size" line per entry and the total.</summary>
    public override string ToString() =>
        string.Join('\n', Entries.Select(e => $"{e.What}  {e.File}  {Size(e.Bytes)}").Append($"total  {Size(TotalBytes)}"));

    /// <summary>A byte count in the largest binary unit that keeps it at or above 1, e.g. "1.50 MiB".</summary>
    public static string Size(long bytes)
    {
        string[] units = ["B", "KiB", "MiB", "GiB", "TiB"];
        double value = bytes;
        var unit = 0;
        while (Math.Abs(value) >= 1024 && unit < units.Length - 1)
        {
            value /= 1024;
            unit++;
        }
        return unit == 0 ? $"{bytes} B" : string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{value:0.00} {units[unit]}");
    }
}

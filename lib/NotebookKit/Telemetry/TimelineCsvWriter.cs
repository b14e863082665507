using System.Text;

namespace NotebookKit.Telemetry;

/// <summary>
/// Writes a timeline CSV while the run goes: the header and the steps already taken when it opens (those a resumed run
/// restored), then a row per step. Every row reaches the operating system as it is appended, so a process that is
/// killed loses no finished step; <see cref="Flush"/> also forces the file to disk, which survives a power cut too.
/// The file reads back with <see cref="RunLog.ReadCsv"/> at any moment.
/// </summary>
public sealed class TimelineCsvWriter : IDisposable
{
    readonly FileStream _file;
    readonly StreamWriter _writer;
    bool _closed;

    /// <summary>Creates (or replaces) <paramref name="path"/> and writes the header and <paramref name="steps"/>.</summary>
    /// <param name="path">The CSV file; its folder is created when missing.</param>
    /// <param name="steps">Steps taken before this writer opened, oldest first: a resumed run's restored timeline.</param>
    /// <exception cref="IOException">The file cannot be created (a folder of that name, no space).</exception>
    /// <exception cref="UnauthorizedAccessException">The folder is not writable.</exception>
    public TimelineCsvWriter(string path, IEnumerable<StepRecord> steps)
    {
        Path = System.IO.Path.GetFullPath(path);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
        _file = new FileStream(Path, FileMode.Create, FileAccess.Write, FileShare.Read);
        _writer = new StreamWriter(_file, new UTF8Encoding(false));
        _writer.Write(RunLog.CsvHeader + "\n");
        foreach (var step in steps) Write(step);
        Flush();
    }

    /// <summary>The full path of the CSV file.</summary>
    public string Path { get; }

    /// <summary>Rows written so far, restored steps included.</summary>
    public int Rows { get; private set; }

    /// <summary>Appends one step and hands it to the operating system.</summary>
    public void Append(StepRecord step)
    {
        Write(step);
        _writer.Flush();
    }

    /// <summary>Forces every row written so far to disk.</summary>
    public void Flush()
    {
        _writer.Flush();
        _file.Flush(flushToDisk: true);
    }

    void Write(StepRecord step)
    {
        _writer.Write(RunLog.CsvRow(step) + "\n");
        Rows++;
    }

    /// <summary>Flushes to disk and closes the file; later calls do nothing.</summary>
    public void Dispose()
    {
        if (_closed) return;
        _closed = true;
        Flush();
        _writer.Dispose();
    }
}

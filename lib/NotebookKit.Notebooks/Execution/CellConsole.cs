using System.Text;

namespace NotebookKit.Notebooks.Execution;

/// <summary>
/// Stands in for the console while a cell runs: collects what the cell writes and hands it to the
/// session as one output each time the cell displays something or ends, so text and displays keep their order.
/// </summary>
sealed class CellConsole(NotebookSession session) : TextWriter
{
    readonly StringBuilder _pending = new();

    public override Encoding Encoding => Encoding.UTF8;

    public override void Write(char value)
    {
        lock (_pending) _pending.Append(value);
    }

    public override void Write(string? value)
    {
        lock (_pending) _pending.Append(value);
    }

    public override void Flush()
    {
        string text;
        lock (_pending)
        {
            text = _pending.ToString();
            _pending.Clear();
        }
        if (text.Length > 0) session.EmitConsole(text);
    }
}

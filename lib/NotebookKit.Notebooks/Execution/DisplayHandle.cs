namespace NotebookKit.Notebooks.Execution;

/// <summary>
/// What <c>display(...)</c> returns: the shown output can be replaced later, even from another cell
/// (a progress line, a chart redrawn as training goes). The report shows the last value.
/// </summary>
public sealed class DisplayHandle
{
    readonly NotebookSession _session;
    readonly int _id;
    readonly int _cell;
    readonly string[] _mimeTypes;

    internal DisplayHandle(NotebookSession session, int id, int cell, string[] mimeTypes)
    {
        _session = session;
        _id = id;
        _cell = cell;
        _mimeTypes = mimeTypes;
    }

    /// <summary>Replaces the displayed value, formatted as the original <c>display</c> call asked.</summary>
    public void Update(object? value) => _session.Emit(_id, _cell, value, _mimeTypes);
}

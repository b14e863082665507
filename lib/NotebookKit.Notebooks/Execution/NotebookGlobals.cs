using System.ComponentModel;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using Microsoft.AspNetCore.Html;

namespace NotebookKit.Notebooks.Execution;

/// <summary>
/// The helpers every C# cell sees without a <c>using</c>, named as in Polyglot Notebooks' C# kernel
/// so cells run unchanged in both places.
/// </summary>
#pragma warning disable IDE1006 // lower-case names match the original kernel's helpers
public sealed class NotebookGlobals
{
    readonly NotebookSession _session;

    internal NotebookGlobals(NotebookSession session) => _session = session;

    /// <summary>
    /// Shows a value below the cell and returns a handle whose <c>Update</c> replaces it. Without
    /// <paramref name="mimeTypes"/> the value is HTML when a formatter was registered for its type,
    /// else plain text; <c>display(x, "text/html")</c> forces HTML.
    /// </summary>
    public DisplayHandle display(object? value, params string[] mimeTypes) => _session.Display(value, mimeTypes);

    /// <summary>Marks a string as HTML, so displaying it (or ending a cell with it) writes it into the report as markup.</summary>
    [SuppressMessage("Performance", "CA1822", Justification = "a cell calls it as a member of its globals object")]
    public IHtmlContent HTML(string html) => new HtmlString(html);

    /// <summary>
    /// Converts a <c>--param</c> value to the type of the parameter's default (used by the cell the runner
    /// injects after the <c>// parameters</c> cell). Numbers use the invariant culture (<c>3e-4</c>, <c>0.5</c>).
    /// </summary>
    /// <exception cref="ArgumentException">The text is not a value of that type.</exception>
    [SuppressMessage("Performance", "CA1822", Justification = "the injected parameters cell calls it as a member of its globals object")]
    public T Parameter<T>(T current, string text)
    {
        var type = current?.GetType() ?? typeof(T);
        try
        {
            return (T)TypeDescriptor.GetConverter(type).ConvertFromInvariantString(text)!;
        }
        catch (Exception e) when (e is FormatException or NotSupportedException or ArgumentException || e.InnerException is FormatException or OverflowException)
        {
            throw new ArgumentException($"--param value '{text}' is not a {type.Name} (the type of the default in the parameters cell): pass a {type.Name}", e);
        }
    }
}
#pragma warning restore IDE1006

using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Html;
using Microsoft.DotNet.Interactive.Formatting;

namespace NotebookKit.Notebooks.Execution;

/// <summary>
/// Turns a displayed value into report output with the formatting library VS Code's kernel uses,
/// so formatters a library registers for its own types (charts, tables) render the same in both places.
/// </summary>
/// <remarks>
/// HTML is written raw only when it was asked for: an <see cref="IHtmlContent"/> (what <c>HTML(...)</c>
/// returns), a value whose type (or a base type or interface) has a <c>text/html</c> formatter registered
/// with <see cref="Formatter.Register{T}(Action{T, TextWriter}, string)"/> or declared on the type with
/// <see cref="TypeFormatterSourceAttribute"/>, or an explicit
/// <c>display(value, "text/html")</c> (a string displayed that way is taken as markup). Everything else is the value's <c>text/plain</c> form, which the
/// report escapes, so a string holding markup shows as text.
/// </remarks>
public static class ValueFormatter
{
    /// <summary>Formats a value; <paramref name="mimeTypes"/> (as passed to <c>display</c>) picks the form when given.</summary>
    public static (string MimeType, string Text) Format(object? value, IReadOnlyList<string> mimeTypes)
    {
        if (value is null) return (CellOutput.Plain, "<null>");
        if (mimeTypes.Count > 0)
        {
            var requested = mimeTypes[0];
            var mime = requested == CellOutput.Html ? CellOutput.Html : CellOutput.Plain;
            // A string shown with a MIME type is content of that type already, as in the original kernel.
            return (mime, value is string s ? s : value.ToDisplayString(requested));
        }
        if (value is IHtmlContent html)
        {
            using var writer = new StringWriter();
            html.WriteTo(writer, HtmlEncoder.Default);
            return (CellOutput.Html, writer.ToString());
        }
        var type = value.GetType();
        var registered = Formatter.RegisteredFormatters(false).Any(f => f.MimeType == CellOutput.Html && f.Type.IsAssignableFrom(type))
            || DeclaresHtmlFormatterSource(type);
        return registered
            ? (CellOutput.Html, value.ToDisplayString(CellOutput.Html))
            : (CellOutput.Plain, value.ToDisplayString(CellOutput.Plain));
    }

    /// <summary>
    /// True when the type, a base type or an interface carries a <c>TypeFormatterSource</c> attribute (the
    /// formatting library's or one of the same name, which it also honours) that does not rule out HTML.
    /// </summary>
    static bool DeclaresHtmlFormatterSource(Type type)
    {
        var types = new List<Type>();
        for (var t = type; t is not null; t = t.BaseType) types.Add(t);
        types.AddRange(type.GetInterfaces());
        return types.SelectMany(t => t.GetCustomAttributes(false))
            .Where(a => a.GetType().Name == nameof(TypeFormatterSourceAttribute))
            .Any(a => a.GetType().GetProperty(nameof(TypeFormatterSourceAttribute.PreferredMimeTypes))?.GetValue(a) is not string[] { Length: > 0 } mimes
                      || mimes.Contains(CellOutput.Html));
    }
}

using System.Text.Json;
using System.Text.Json.Serialization;

namespace NotebookKit.Notebooks.Execution;

/// <summary>
/// One line of the stream a notebook process writes to its parent: a cell started, an output was shown
/// or replaced, a cell ended, the notebook finished. Each line starts with <see cref="Prefix"/> so stray
/// native output on the same stdout is told apart.
/// </summary>
/// <param name="Kind"><c>start</c>, <c>output</c>, <c>end</c> or <c>done</c>.</param>
/// <param name="Cell">The run-plan index of the cell (start, end).</param>
/// <param name="Output">The output (output events).</param>
/// <param name="Result">The cell's outcome (end events).</param>
public sealed record ChildEvent(string Kind, int Cell = -1, CellOutput? Output = null, CellResult? Result = null)
{
    /// <summary>Marks protocol lines (ASCII record separator, then "nbk:").</summary>
    public const string Prefix = "\u001enbk:";

    static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };

    /// <summary>The protocol line for this event.</summary>
    public string ToLine() => Prefix + JsonSerializer.Serialize(this, Json);

    /// <summary>The event a protocol line holds, or null for any other line.</summary>
    /// <exception cref="InvalidDataException">The line starts with <see cref="Prefix"/> but holds no event: a bug or a corrupted stream.</exception>
    public static ChildEvent? FromLine(string? line)
    {
        if (line is null || !line.StartsWith(Prefix, StringComparison.Ordinal)) return null;
        var body = line[Prefix.Length..];
        try
        {
            return JsonSerializer.Deserialize<ChildEvent>(body, Json) is { Kind: not null } ev ? ev : throw new JsonException("no \"kind\"");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"malformed protocol line '{(body.Length > 120 ? body[..120] + "..." : body)}' ({e.Message})", e);
        }
    }
}

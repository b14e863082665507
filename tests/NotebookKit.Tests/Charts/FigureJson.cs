using System.Text.Json;
using NotebookKit.Charts;

namespace NotebookKit.Tests.Charts;

/// <summary>Reads a figure's plotly.js JSON so tests assert on data and layout rather than pixels.</summary>
sealed class FigureJson
{
    public FigureJson(Figure figure)
    {
        Root = JsonDocument.Parse(figure.ToJson()).RootElement;
        Traces = Root.GetProperty("data").EnumerateArray().ToList();
        Layout = Root.GetProperty("layout");
    }

    public JsonElement Root { get; }
    public List<JsonElement> Traces { get; }
    public JsonElement Layout { get; }

    public JsonElement Trace(string name) => Traces.Single(t => Name(t) == name);

    public IEnumerable<JsonElement> OnAxis(string yAxis) => Traces.Where(t => (t.TryGetProperty("yaxis", out var y) ? y.GetString() : "y") == yAxis);

    public static string Name(JsonElement trace) => trace.TryGetProperty("name", out var n) ? n.GetString()! : "";

    public static double?[] Numbers(JsonElement trace, string key) =>
        trace.GetProperty(key).EnumerateArray().Select(v => v.ValueKind == JsonValueKind.Null ? (double?)null : v.GetDouble()).ToArray();

    public static string[] Strings(JsonElement trace, string key) => trace.GetProperty(key).EnumerateArray().Select(v => v.GetString()!).ToArray();
}

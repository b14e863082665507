using TorchSharp;
using static TorchSharp.torch;

namespace NotebookKit.Charts;

/// <summary>
/// Pictures for "cross-entropy is surprise": what the model predicted for the next token, and how
/// surprised (-ln p nats) it is by each possible outcome.
/// </summary>
public static class Probabilities
{
    /// <summary>
    /// Bars of the <paramref name="k"/> most likely next tokens, each labelled with p and -ln p. The
    /// <paramref name="target"/> token, when given, is drawn in a contrasting colour (and added as an
    /// extra bar if it is not in the top k) so the learner sees the probability its loss is made of.
    /// </summary>
    /// <param name="probabilities">Token text and probability; any order. Whitespace is shown visibly (␣, ⏎, ⇥).</param>
    /// <param name="k">How many bars; 10 keeps token labels readable in a notebook column.</param>
    /// <param name="target">The correct next token, or null.</param>
    /// <exception cref="ArgumentException">No probabilities, k below 1, or a probability outside [0, 1].</exception>
    public static Figure NextToken(IEnumerable<(string Token, double P)> probabilities, int k = 10, string? target = null)
    {
        var all = probabilities.ToList();
        if (all.Count == 0) throw new ArgumentException("NextToken needs at least one (token, p) pair.", nameof(probabilities));
        if (k < 1) throw new ArgumentException($"k is {k}: pass how many tokens to show, 1 or more (10 is the default).", nameof(k));
        foreach (var (token, p) in all.Where(t => !(t.P >= 0 && t.P <= 1)))
            throw new ArgumentException($"probability of token '{token}' is {p}: pass probabilities in [0, 1] (softmax of the logits), not logits.", nameof(probabilities));

        var shown = all.OrderByDescending(t => t.P).Take(k).ToList();
        if (target is not null && shown.All(t => t.Token != target) && all.FirstOrDefault(t => t.Token == target) is { Token: not null } missing)
            shown.Add(missing);
        var labels = shown.Select(t => Plot.Escape(Visible(t.Token))).ToArray();
        var title = target is null ? $"Next-token probabilities (top {Math.Min(k, all.Count)})" : $"Next-token probabilities (target {Visible(target)})";
        var bars = Plot.Trace("bar", new()
        {
            ["x"] = labels,
            ["y"] = shown.Select(t => t.P).ToArray(),
            ["marker"] = new { color = shown.Select(t => t.Token == target ? Plot.RunColours[1] : Plot.RunColours[0]).ToArray() },
            ["text"] = shown.Select(t => Invariant($"{t.P:0.000}<br>{Surprise(t.P)}")).ToArray(),
            ["textposition"] = "outside",
            ["cliponaxis"] = false,
            ["customdata"] = shown.Select(t => new object[] { t.P, -Math.Log(t.P) is var s && double.IsFinite(s) ? s : null! }).ToArray(),
            ["hovertemplate"] = "token %{x}<br>p %{customdata[0]:.6g}<br>-ln p %{customdata[1]:.6g} nats<extra></extra>",
        });
        var layout = new Dictionary<string, object?>
        {
            ["title"] = Plot.Title(title, x: 0.01),
            ["height"] = 420,
            ["showlegend"] = false,
            ["xaxis"] = WithCategories(Plot.Axis("next token"), labels),
            ["yaxis"] = WithRange(Plot.Axis("probability p"), 0, Math.Min(1.0, shown.Max(t => t.P) * 1.25 + 0.02)),
            ["margin"] = new { l = 80, r = 30, t = 70, b = 70 },
        };
        return Plot.Figure(title, [bars], Plot.Layout(layout), 900, 420);
    }

    /// <summary>
    /// Bars for a model's prediction at one position: softmax of <paramref name="logits"/> (shape (V),
    /// one row of the (B, T, V) output) with each id decoded by <paramref name="decode"/>.
    /// </summary>
    public static Figure NextToken(Tensor logits, Func<int, string> decode, int k = 10, int? targetId = null)
    {
        if (logits.dim() != 1)
            throw new ArgumentException($"logits have shape [{string.Join(", ", logits.shape)}]: pass one position's row, logits[b, t] with shape (V).", nameof(logits));
        using var scope = NewDisposeScope();
        var p = softmax(logits.detach().to(ScalarType.Float64).cpu(), 0).data<double>().ToArray(); // (V)
        return NextToken(p.Select((value, id) => (decode(id), value)), k, targetId is { } id2 ? decode(id2) : null);
    }

    /// <summary>
    /// The surprise curve -ln p for p in (0, 1], with <paramref name="marked"/> probabilities labelled
    /// (by default 0.02 → 3.91 nats and 0.20 → 1.61 nats, the chapter's two examples).
    /// </summary>
    /// <exception cref="ArgumentException">A marked probability outside (0, 1].</exception>
    public static Figure SurpriseCurve(params double[] marked)
    {
        if (marked.Length == 0) marked = [0.02, 0.20];
        foreach (var p in marked.Where(p => !(p > 0 && p <= 1)))
            throw new ArgumentException($"marked probability {p} is outside (0, 1]: -ln p is only defined there.", nameof(marked));
        // Log-spaced from 0.005 so the steep end near zero is drawn smoothly, then to exactly 1.
        var p0 = 0.005;
        var curveP = Enumerable.Range(0, 200).Select(i => p0 * Math.Pow(1 / p0, i / 199.0)).ToArray();
        var curve = Plot.Trace("scatter", new()
        {
            ["name"] = "-ln p",
            ["x"] = curveP,
            ["y"] = curveP.Select(p => -Math.Log(p)).ToArray(),
            ["mode"] = "lines",
            ["line"] = new { color = Plot.RunColours[0], width = 2.5 },
            ["hovertemplate"] = "p %{x:.4f}<br>-ln p %{y:.4f} nats<extra></extra>",
        });
        var points = Plot.Trace("scatter", new()
        {
            ["name"] = "examples",
            ["x"] = marked,
            ["y"] = marked.Select(p => -Math.Log(p)).ToArray(),
            ["mode"] = "markers+text",
            ["marker"] = new { size = 11, color = Plot.RunColours[1] },
            ["text"] = marked.Select(p => Invariant($"p = {p:0.###} → {Surprise(p)}")).ToArray(),
            ["textposition"] = "middle right",
            ["hovertemplate"] = "p %{x}<br>-ln p %{y:.4f} nats<extra></extra>",
        });
        var title = "Surprise: loss = -ln p(correct token)";
        var layout = new Dictionary<string, object?>
        {
            ["title"] = Plot.Title(title, x: 0.01),
            ["height"] = 420,
            ["showlegend"] = false,
            ["xaxis"] = WithRange(Plot.Axis("p, probability given to the correct token"), 0, 1.02),
            ["yaxis"] = WithRange(Plot.Axis("-ln p (nats)"), 0, -Math.Log(p0) + 0.2),
            ["margin"] = new { l = 80, r = 30, t = 70, b = 70 },
        };
        return Plot.Figure(title, [curve, points], Plot.Layout(layout), 900, 420);
    }

    static string Surprise(double p) => p > 0 ? Invariant($"{-Math.Log(p):0.00} nats") : "∞ nats";

    static string Invariant(FormattableString text) => FormattableString.Invariant(text);

    /// <summary>Whitespace tokens made visible so a space or newline is a readable bar label.</summary>
    internal static string Visible(string token) => token.Replace(" ", "␣").Replace("\n", "⏎").Replace("\t", "⇥");

    static Dictionary<string, object?> WithRange(Dictionary<string, object?> axis, double from, double to)
    {
        axis["range"] = new[] { from, to };
        return axis;
    }

    static Dictionary<string, object?> WithCategories(Dictionary<string, object?> axis, string[] labels)
    {
        // Categories in the given order, so the bars stay sorted by probability; tokens that look like
        // numbers ("1", "2024") would otherwise turn the axis numeric.
        axis["type"] = "category";
        axis["categoryorder"] = "array";
        axis["categoryarray"] = labels;
        return axis;
    }
}

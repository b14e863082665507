using TorchSharp;
using static TorchSharp.torch;

namespace NotebookKit.Charts;

/// <summary>
/// Which parameters received how much gradient in one backward pass: the "which tensors hold
/// gradients now" view of the one-batch trace.
/// </summary>
public static class GradientNorms
{
    /// <summary>The L2 norm of every parameter's gradient in <paramref name="module"/>, in registration order; parameters with no gradient yet are left out.</summary>
    public static IReadOnlyList<(string Parameter, double Norm)> Of(nn.Module module)
    {
        var rows = new List<(string, double)>();
        foreach (var (name, parameter) in module.named_parameters())
        {
            using var grad = parameter.grad;
            if (grad is null) continue;
            using var norm = grad.detach().to(ScalarType.Float64).norm();
            rows.Add((name, norm.item<double>()));
        }
        return rows;
    }

    /// <summary>Horizontal bars, one per parameter, top to bottom in the given order, with each norm printed at its bar.</summary>
    /// <exception cref="ArgumentException">No rows, or a norm that is negative or not finite.</exception>
    public static Figure Bars(IEnumerable<(string Parameter, double Norm)> norms, string title = "Gradient norm per parameter after backward")
    {
        var rows = norms.ToList();
        if (rows.Count == 0)
            throw new ArgumentException("no gradient norms to draw: run loss.backward() first (GradientNorms.Of leaves out parameters whose grad is null).", nameof(norms));
        foreach (var (name, norm) in rows.Where(r => !(r.Norm >= 0 && double.IsFinite(r.Norm))))
            throw new ArgumentException($"gradient norm of '{name}' is {norm}: an inf or NaN gradient means the backward pass overflowed; check the loss first.", nameof(norms));
        var labels = rows.Select(r => Plot.Escape(r.Parameter)).ToArray();
        var bars = Plot.Trace("bar", new()
        {
            ["orientation"] = "h",
            ["x"] = rows.Select(r => r.Norm).ToArray(),
            ["y"] = labels,
            ["marker"] = new { color = Plot.RunColours[0] },
            ["text"] = rows.Select(r => Plot.Number(r.Norm)).ToArray(),
            ["textposition"] = "outside",
            ["cliponaxis"] = false,
            ["hovertemplate"] = "%{y}<br>grad norm %{x:.6g}<extra></extra>",
        });
        var height = Math.Clamp(120 + 26 * rows.Count, 300, 1200);
        var xAxis = Plot.Axis("L2 norm of the gradient");
        xAxis["range"] = new[] { 0, rows.Max(r => r.Norm) * 1.18 + 1e-12 };
        var yAxis = Plot.Axis("parameter");
        yAxis["type"] = "category";
        yAxis["autorange"] = "reversed";
        var layout = new Dictionary<string, object?>
        {
            ["title"] = Plot.Title(title, x: 0.01),
            ["height"] = height,
            ["showlegend"] = false,
            ["xaxis"] = xAxis,
            ["yaxis"] = yAxis,
            ["margin"] = new { l = 80, r = 40, t = 70, b = 60 },
        };
        return Plot.Figure(title, [bars], Plot.Layout(layout), 900, height);
    }
}

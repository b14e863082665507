using System.Globalization;
using TorchSharp;
using static TorchSharp.torch;

namespace NotebookKit.Interactive;

/// <summary>
/// AdamW's state for the first few elements of one parameter: the moving average of the gradient
/// (m), of its square (v), and the step Adam takes from them. Shows that the optimizer carries
/// memory a checkpoint must save.
/// </summary>
/// <param name="Parameter">Parameter name, e.g. "blocks.0.attn.qkv.weight".</param>
/// <param name="Step">Optimizer steps taken, which sets the bias correction 1 - beta^step.</param>
/// <param name="M">First moment (exp_avg) of the shown elements.</param>
/// <param name="V">Second moment (exp_avg_sq) of the shown elements; same length as <paramref name="M"/>.</param>
/// <param name="Beta1">AdamW's beta1; 0.9 is PyTorch's and TorchSharp's default.</param>
/// <param name="Beta2">AdamW's beta2; 0.999 is the default (many LLM recipes use 0.95).</param>
/// <param name="Eps">AdamW's eps; 1e-8 is the default.</param>
public sealed record OptimizerStateView(string Parameter, int Step, float[] M, float[] V, double Beta1 = 0.9, double Beta2 = 0.999, double Eps = 1e-8)
{
    /// <summary>Takes the first <paramref name="count"/> elements of flattened m and v tensors (any shape, any device).</summary>
    /// <exception cref="ArgumentException">m and v have different shapes, or count is below 1.</exception>
    public static OptimizerStateView Of(string parameter, int step, Tensor m, Tensor v, int count = 8, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8)
    {
        if (!m.shape.SequenceEqual(v.shape))
            throw new ArgumentException($"m has shape [{string.Join(", ", m.shape)}] but v has [{string.Join(", ", v.shape)}]: pass exp_avg and exp_avg_sq of the same parameter '{parameter}'.", nameof(v));
        if (count < 1) throw new ArgumentException($"count is {count}: show at least one element.", nameof(count));
        using var scope = NewDisposeScope();
        var n = (int)Math.Min(count, m.numel());
        float[] Slice(Tensor t) => t.detach().flatten()[..n].to(ScalarType.Float32).cpu().data<float>().ToArray(); // (n)
        return new OptimizerStateView(parameter, step, Slice(m), Slice(v), beta1, beta2, eps);
    }

    /// <summary>
    /// The update direction AdamW takes for element i before the learning rate: m̂ / (√v̂ + eps),
    /// with m̂ = m / (1 - beta1^step) and v̂ = v / (1 - beta2^step). Near ±1 for a steady gradient.
    /// </summary>
    public double Direction(int i)
    {
        if (Step < 1) throw new InvalidOperationException($"optimizer step is {Step}: AdamW has no state before its first step.");
        var mHat = M[i] / (1 - Math.Pow(Beta1, Step));
        var vHat = V[i] / (1 - Math.Pow(Beta2, Step));
        return mHat / (Math.Sqrt(vHat) + Eps);
    }

    /// <summary>The table as an HTML fragment: index, m, v, √v̂ and the update direction.</summary>
    public string ToHtml()
    {
        if (M.Length != V.Length)
            throw new InvalidOperationException($"'{Parameter}': m has {M.Length} values but v has {V.Length}; pass slices of the same elements.");
        var table = new HtmlTable($"AdamW state of {Parameter} after {Step} step(s), first {M.Length} elements",
            "i", "m (exp_avg)", "v (exp_avg_sq)", "√v̂", "m̂ / (√v̂ + eps)");
        for (var i = 0; i < M.Length; i++)
            table.Row([i.ToString(CultureInfo.InvariantCulture), G(M[i]), G(V[i]),
                Step >= 1 ? G(Math.Sqrt(V[i] / (1 - Math.Pow(Beta2, Step)))) : "", Step >= 1 ? G(Direction(i)) : ""]);
        return table.ToString();
    }

    /// <summary>Plain text: the parameter, step and the m and v values.</summary>
    public override string ToString() =>
        $"{Parameter} step {Step}\nm: {string.Join(", ", M.Select(x => G(x)))}\nv: {string.Join(", ", V.Select(x => G(x)))}";

    static string G(double value) => value.ToString("G4", CultureInfo.InvariantCulture).Replace("E", "e");
}

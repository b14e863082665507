using System.Globalization;
using NotebookKit.Runtime;
using static TorchSharp.torch;

namespace NotebookKit.Exercises;

/// <summary>Exercise: predict what three small sums give when both numbers and the result are bfloat16.</summary>
public static class Bf16Exercise
{
    const string Name = "Predict bf16 arithmetic";

    /// <summary>The sums to predict, in order: 256 + 1, 256 + 2 and 1 + (-0.001).</summary>
    public static IReadOnlyList<(float A, float B)> Sums { get; } = [(256f, 1f), (256f, 2f), (1f, -0.001f)];

    /// <summary>The sums as the learner reads them, e.g. "256 + 1".</summary>
    public static IReadOnlyList<string> Expressions => Sums.Select(s => s.B < 0 ? $"{F(s.A)} - {F(-s.B)}" : $"{F(s.A)} + {F(s.B)}").ToArray();

    /// <summary>Checks the learner's predictions against the sums computed by real bfloat16 tensors.</summary>
    /// <param name="predictions">One value per entry of <see cref="Sums"/>, in the same order.</param>
    public static Feedback Check(IReadOnlyList<double>? predictions)
    {
        if (predictions is null || predictions.Count == 0)
            return Feedback.NotAnswered(Name, $"predict the bf16 result of each of {string.Join(", ", Expressions)}, in that order.");
        if (predictions.Count != Sums.Count)
            return Feedback.Fail(Name, $"give {Sums.Count} predictions, one for each of {string.Join(", ", Expressions)}; you gave {predictions.Count}.");
        for (var i = 0; i < Sums.Count; i++)
        {
            var (a, b) = Sums[i];
            var actual = InBf16(a, b);
            var exact = (double)(a + b);
            if (Math.Abs(predictions[i] - actual) <= 1e-6 * Math.Max(1, Math.Abs(actual))) continue;
            var gap = Gap((float)exact);
            if (Math.Abs(predictions[i] - exact) <= 1e-6 * Math.Max(1, Math.Abs(exact)))
                return Feedback.Fail(Name, $"{Expressions[i]} = {F(exact)} is the float32 answer. bf16 keeps 8 significant bits, so near {F(exact)} its numbers are {F(gap)} apart: {F(exact)} is not one of them and rounds to {F(actual)}.");
            if (actual != a && predictions[i] == a)
                return Feedback.Fail(Name, $"{Expressions[i]} does not vanish: near {F(exact)} bf16 numbers are {F(gap)} apart, and {F(actual)} is one of them. Only a change smaller than half the gap is lost.");
            return Feedback.Fail(Name, $"{Expressions[i]} is {F(actual)} in bf16: near {F(exact)} its numbers are {F(gap)} apart, and the exact sum {F(exact)} rounds to the nearest of them.");
        }
        return Feedback.Pass(Name, $"{string.Join(", ", Expressions.Select((e, i) => $"{e} = {F(InBf16(Sums[i].A, Sums[i].B))}"))}: a change smaller than half the gap between neighbouring bf16 numbers is rounded away.");
    }

    /// <summary>a + b with both operands and the result in bfloat16, read back exactly as a double.</summary>
    static double InBf16(float a, float b)
    {
        using var scope = NewDisposeScope();
        var sum = tensor(a).to(ScalarType.BFloat16).Plus(tensor(b).to(ScalarType.BFloat16));  // ()
        return sum.to(ScalarType.Float64).item<double>();
    }

    /// <summary>The distance from <paramref name="x"/>'s power of two to the next bf16 number: 2^(exponent - 7).</summary>
    static double Gap(float x) => Math.Pow(2, Math.Floor(Math.Log2(Math.Abs(x))) - 7);

    static string F(double x) => x.ToString("0.######", CultureInfo.InvariantCulture);
}

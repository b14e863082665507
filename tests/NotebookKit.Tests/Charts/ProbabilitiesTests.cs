using NotebookKit.Charts;
using TorchSharp;
using static TorchSharp.torch;

namespace NotebookKit.Tests.Charts;

public class ProbabilitiesTests
{
    [Fact]
    public void Surprise_curve_marks_the_chapter_examples()
    {
        var json = new FigureJson(Probabilities.SurpriseCurve());
        var points = json.Trace("examples");
        Assert.Equal([0.02, 0.20], FigureJson.Numbers(points, "x"));
        var y = FigureJson.Numbers(points, "y");
        Assert.Equal(3.912, y[0]!.Value, 3);
        Assert.Equal(1.609, y[1]!.Value, 3);
        Assert.Equal(["p = 0.02 → 3.91 nats", "p = 0.2 → 1.61 nats"], FigureJson.Strings(points, "text"));
        var curve = json.Trace("-ln p");
        var x = FigureJson.Numbers(curve, "x");
        Assert.Equal(1.0, x[^1]!.Value, 12);
        Assert.True(x[0] > 0);
        Assert.Equal(0.0, FigureJson.Numbers(curve, "y")[^1]!.Value, 12);
        Assert.Throws<ArgumentException>(() => Probabilities.SurpriseCurve(0));
    }

    [Fact]
    public void Next_token_bars_show_the_top_k_with_p_and_surprise()
    {
        (string, double)[] p = [("a", 0.1), ("R", 0.5), (" ", 0.2), ("<b>", 0.15), ("z", 0.05)];
        var json = new FigureJson(Probabilities.NextToken(p, k: 3, target: "z"));
        var bars = Assert.Single(json.Traces);
        // Top 3 by probability, then the target appended because it is outside the top 3.
        Assert.Equal(["R", "␣", "&lt;b&gt;", "z"], FigureJson.Strings(bars, "x"));
        Assert.Equal([0.5, 0.2, 0.15, 0.05], FigureJson.Numbers(bars, "y"));
        var surprise = bars.GetProperty("customdata").EnumerateArray().Select(row => row[1].GetDouble()).ToArray();
        Assert.Equal(-Math.Log(0.05), surprise[3], 12);
        Assert.Contains("3.00 nats", FigureJson.Strings(bars, "text")[3]);
        var colours = bars.GetProperty("marker").GetProperty("color").EnumerateArray().Select(c => c.GetString()).ToArray();
        Assert.NotEqual(colours[0], colours[3]);
        Assert.Throws<ArgumentException>(() => Probabilities.NextToken([("a", 2.5)]));
    }

    [Fact]
    public void Next_token_from_logits_is_their_softmax()
    {
        NotebookKit.Runtime.Workbench.Seed(0);
        using var logits = torch.tensor(new float[] { 2f, 0f, 1f }); // (V)
        var json = new FigureJson(Probabilities.NextToken(logits, id => "abc"[id].ToString(), k: 3));
        var denominator = Math.Exp(2) + Math.Exp(0) + Math.Exp(1);
        var y = FigureJson.Numbers(json.Traces[0], "y");
        Assert.Equal(["a", "c", "b"], FigureJson.Strings(json.Traces[0], "x"));
        Assert.Equal(Math.Exp(2) / denominator, y[0]!.Value, 6);
        Assert.Equal(Math.Exp(0) / denominator, y[2]!.Value, 6);
    }
}

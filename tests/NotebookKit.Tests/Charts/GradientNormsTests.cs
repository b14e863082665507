using NotebookKit.Charts;
using TorchSharp;
using static TorchSharp.torch;

namespace NotebookKit.Tests.Charts;

public class GradientNormsTests
{
    [Fact]
    public void Norms_of_a_linear_layer_match_the_hand_computed_gradient()
    {
        NotebookKit.Runtime.Workbench.Seed(3);
        using var layer = nn.Linear(2, 1);
        using var x = torch.tensor(new float[] { 1f, 2f, 3f, 4f }).reshape(2, 2); // (B, C)
        using var loss = layer.call(x).sum();
        loss.backward();
        // d(sum)/dW = column sums of x = (4, 6); d(sum)/db = B = 2.
        var norms = GradientNorms.Of(layer);
        Assert.Equal(["weight", "bias"], norms.Select(n => n.Parameter));
        Assert.Equal(Math.Sqrt(16 + 36), norms[0].Norm, 5);
        Assert.Equal(2.0, norms[1].Norm, 5);

        var json = new FigureJson(GradientNorms.Bars(norms));
        var bars = Assert.Single(json.Traces);
        Assert.Equal(["weight", "bias"], FigureJson.Strings(bars, "y"));
        Assert.Equal("h", bars.GetProperty("orientation").GetString());
        Assert.Contains("%{x:.6g}", bars.GetProperty("hovertemplate").GetString());
    }

    [Fact]
    public void No_gradients_yet_is_a_clear_error()
    {
        using var layer = nn.Linear(2, 1);
        var error = Assert.Throws<ArgumentException>(() => GradientNorms.Bars(GradientNorms.Of(layer)));
        Assert.Contains("backward()", error.Message);
    }
}

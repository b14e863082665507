using NotebookKit.Model;
using NotebookKit.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace NotebookKit.Tests.Model;

public class TinyGptTests
{
    [Fact]
    public void Parameter_count_matches_the_modules_and_the_head_is_tied()
    {
        Workbench.Seed(0);
        var config = new ModelConfig(VocabSize: 40);
        using var model = new TinyGpt(config);
        Assert.Equal(config.ParameterCount, model.parameters().Sum(p => p.numel()));
        Assert.DoesNotContain(model.named_parameters(), p => p.name.Contains("head"));
    }

    [Fact]
    public void Logits_have_shape_B_T_V_and_the_future_does_not_leak()
    {
        Workbench.Seed(0);
        using var model = new TinyGpt(new ModelConfig(VocabSize: 10, Layers: 2, Heads: 2, Embd: 16, BlockSize: 8));
        model.eval();
        using var idx = tensor(new long[] { 1, 2, 3, 4, 5, 6 }).reshape(1, 6);
        using var changed = tensor(new long[] { 1, 2, 3, 9, 9, 9 }).reshape(1, 6);
        using var a = model.call(idx);
        using var b = model.call(changed);
        Assert.Equal(new long[] { 1, 6, 10 }, a.shape);
        // Positions 0..2 saw the same prefix, so their logits are identical; position 3 differs.
        Assert.True(a[0, ..3].allclose(b[0, ..3]));
        Assert.False(a[0, 3].allclose(b[0, 3]));
    }
}

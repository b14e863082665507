using NotebookKit.Model;
using NotebookKit.Precision;

namespace NotebookKit.Tests.Precision;

public class MemoryBreakdownTests
{
    // The default model on a 65-character alphabet, by hand: C = 128, V = 65, 4 layers, 4 heads.
    // Parameters: 65*128 + 64*128 + 4 * (4*128 + 128*384 + 384 + 128*128 + 128 + 128*512 + 512 + 512*128 + 128) + 2*128 = 809,856.
    // Activations per token in fp32: 4 * (17*128*4 + (4 + 4)*4) + (2*128*4 + 8 + 65*4) + 16 = 36,252 bytes.
    [Fact]
    public void Default_model_in_fp32_by_hand()
    {
        var m = MemoryBreakdown.For(new ModelConfig(65), PrecisionMode.Fp32, batch: 12, block: 64);
        Assert.Equal(809_856, m.Parameters);
        Assert.Equal(809_856L * 4, m.ParameterBytes);
        Assert.Equal(809_856L * 4, m.GradientBytes);
        Assert.Equal(809_856L * 8, m.OptimizerStateBytes);
        Assert.Equal(0, m.MasterWeightBytes);
        Assert.Equal(36_252, m.ActivationBytesPerToken);
        Assert.Equal(36_252L * 768, m.ActivationBytes);
        Assert.Equal(809_856L * 16 + 36_252L * 768, m.TotalBytes);
    }

    // bf16 halves the 17C block activations and the head's input; the float32 statistics, the log-softmax and the ids stay.
    [Fact]
    public void Default_model_in_bf16_mixed_by_hand()
    {
        var m = MemoryBreakdown.For(new ModelConfig(65), PrecisionMode.Bf16Mixed, batch: 12, block: 64);
        Assert.Equal(809_856L * 2, m.ParameterBytes);
        Assert.Equal(809_856L * 6, m.GradientBytes);
        Assert.Equal(809_856L * 8, m.OptimizerStateBytes);
        Assert.Equal(809_856L * 4, m.MasterWeightBytes);
        Assert.Equal(4 * (17 * 128 * 2 + 8 * 4) + (2 * 128 * 2 + 8 + 65 * 4) + 16, m.ActivationBytesPerToken);
        Assert.Equal(20, m.BytesPerParameter);
    }

    [Fact]
    public void Dropout_adds_a_byte_per_mask_value()
    {
        var without = MemoryBreakdown.For(new ModelConfig(65), PrecisionMode.Fp32, 1, 64);
        var with = MemoryBreakdown.For(new ModelConfig(65, Dropout: 0.1), PrecisionMode.Fp32, 1, 64);
        Assert.Equal((1 + 2 * 4) * 128, with.ActivationBytesPerToken - without.ActivationBytesPerToken);
    }

    [Fact]
    public void A_block_longer_than_the_model_is_refused()
    {
        var error = Assert.Throws<ArgumentException>(() => MemoryBreakdown.For(new ModelConfig(65), PrecisionMode.Fp32, 12, 128));
        Assert.Contains("block 128", error.Message);
    }
}

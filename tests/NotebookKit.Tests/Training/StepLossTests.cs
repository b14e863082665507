using NotebookKit.Data;
using NotebookKit.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace NotebookKit.Tests.Training;

public class StepLossTests
{
    [Theory]
    [InlineData(0.02, 3.912)]
    [InlineData(0.20, 1.609)]
    public void Cross_entropy_is_minus_ln_p(double p, double nats)
    {
        Assert.Equal(nats, StepLoss.Surprise(p), 3);
        // Logits whose softmax gives the target probability p over a vocabulary of 4:
        // target logit ln p, the other three share 1 - p equally.
        var other = Math.Log((1 - p) / 3);
        using var logits = tensor(new[] { (float)Math.Log(p), (float)other, (float)other, (float)other }).reshape(1, 1, 4);
        using var target = tensor(new long[] { 0 }).reshape(1, 1);
        using var loss = StepLoss.Sum(logits, target);
        Assert.Equal(-Math.Log(p), loss.item<float>(), 5);
    }

    [Fact]
    public void Ignored_positions_do_not_count()
    {
        using var logits = tensor(new float[] { 0, 0, 5, 0 }).reshape(1, 2, 2);
        using var targets = tensor(new[] { 1L, Batch.IgnoreIndex }).reshape(1, 2);
        using var loss = StepLoss.Sum(logits, targets);
        Assert.Equal(Math.Log(2), loss.item<float>(), 5);
    }

    [Fact]
    public void Float64_logits_stay_float64_and_bf16_logits_are_widened()
    {
        using var targets = tensor(new[] { 1L, 0L }).reshape(1, 2);
        using var logits = tensor(new double[] { 0, 0.1, 0.3, 0 }).reshape(1, 2, 2);
        using var loss64 = StepLoss.Sum(logits, targets);
        Assert.Equal(ScalarType.Float64, loss64.dtype);
        using var bf16 = logits.to(ScalarType.BFloat16);
        using var loss32 = StepLoss.Sum(bf16, targets);
        Assert.Equal(ScalarType.Float32, loss32.dtype);
    }
}

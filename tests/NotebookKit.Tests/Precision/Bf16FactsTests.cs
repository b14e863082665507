using NotebookKit.Model;
using NotebookKit.Precision;
using NotebookKit.Tests.Training;
using NotebookKit.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace NotebookKit.Tests.Precision;

public class Bf16FactsTests
{
    [Fact]
    public void Bf16_keeps_8_bits_of_mantissa_so_256_plus_1_is_256()
    {
        using var x = tensor(256f).to(ScalarType.BFloat16);
        using var sum = x + 1;
        Assert.Equal(ScalarType.BFloat16, sum.dtype);
        Assert.Equal(256f, sum.to(ScalarType.Float32).item<float>());
        // Below 256 the spacing is 1, so 255 + 1 is exact; float32 keeps 257.
        using var below = tensor(255f).to(ScalarType.BFloat16) + 1;
        Assert.Equal(256f, below.to(ScalarType.Float32).item<float>());
        using var fp32 = tensor(256f) + 1;
        Assert.Equal(257f, fp32.item<float>());
    }

    [Fact]
    public void A_bf16_tensor_takes_half_the_bytes_of_float32()
    {
        using var fp32 = zeros(1000);
        using var bf16 = zeros(1000, dtype: ScalarType.BFloat16);
        Assert.Equal(4, fp32.ElementSize);
        Assert.Equal(2, bf16.ElementSize);
    }

    // The breakdown is checked against the tensors a real trainer holds at the optimizer step:
    // the compute weights, every gradient backward and the carry to the masters produced, AdamW's
    // moments, and the float32 masters.
    [Theory]
    [InlineData(PrecisionMode.Fp32, 16)]
    [InlineData(PrecisionMode.Bf16, 8)]
    [InlineData(PrecisionMode.Bf16Mixed, 20)]
    [InlineData(PrecisionMode.Fp16Mixed, 20)]
    public void Bytes_per_parameter_match_the_tensors_a_trainer_holds(PrecisionMode mode, double bytesPerParameter)
    {
        var modelConfig = TinyRun.Model();
        using var trainer = new Trainer(modelConfig, TinyRun.Config with { Precision = mode }, TinyRun.Data(), CPU);
        trainer.Step(); // creates AdamW's state
        using var scope = NewDisposeScope();
        var plan = trainer.Precision;
        var batch = trainer.Samplers[0].Next(CPU);
        plan.Scale(StepLoss.Sum(plan.Compute.call(batch.Inputs), batch.Targets) / batch.CountedTokens()).backward();
        Assert.True(plan.GradientsToMaster());

        var mixed = mode is PrecisionMode.Bf16Mixed or PrecisionMode.Fp16Mixed;
        var compute = plan.Compute.parameters().ToArray();
        var masters = trainer.Model.parameters().ToArray();
        long Bytes(IEnumerable<Tensor?> tensors) => tensors.OfType<Tensor>().Sum(t => t.numel() * t.ElementSize);
        var gradients = Bytes(compute.Select(p => p.grad)) + (mixed ? Bytes(masters.Select(p => p.grad)) : 0);
        var moments = trainer.Optimizer.state_dict().State.Cast<AdamW.State>().SelectMany(s => new[] { s.exp_avg, s.exp_avg_sq });

        var expected = MemoryBreakdown.For(modelConfig, mode, batch: 4, block: 16);
        Assert.Equal(expected.ParameterBytes, Bytes(compute));
        Assert.Equal(expected.GradientBytes, gradients);
        Assert.Equal(expected.OptimizerStateBytes, Bytes(moments));
        Assert.Equal(expected.MasterWeightBytes, mixed ? Bytes(masters) : 0);
        Assert.Equal(bytesPerParameter, expected.BytesPerParameter);
        Assert.Equal(modelConfig.ParameterCount, compute.Sum(p => p.numel()));
    }
}

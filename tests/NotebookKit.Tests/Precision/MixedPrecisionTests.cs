using NotebookKit.Precision;
using NotebookKit.Tests.Training;
using NotebookKit.Training;
using static TorchSharp.torch;

namespace NotebookKit.Tests.Precision;

public class MixedPrecisionTests
{
    // bf16-mixed rounds the forward and backward, not the update, so its curve should lie on fp32's.
    // Compared as 20-step means (single steps differ by batch noise amplified by rounding); the
    // tolerance, 0.05 nats, is about a tenth of the drop the run makes in its first 20 steps.
    [Fact]
    public void Bf16_mixed_follows_the_fp32_loss_curve_over_200_steps()
    {
        double[] Curve(PrecisionMode mode)
        {
            using var trainer = new Trainer(TinyRun.Model(), TinyRun.Config with { Precision = mode, MaxIters = 200, EvalEvery = 1000 }, TinyRun.Data(), CPU);
            return trainer.Train().Steps.Select(s => s.Loss).Chunk(20).Select(c => c.Average()).ToArray();
        }
        var fp32 = Curve(PrecisionMode.Fp32);
        var mixed = Curve(PrecisionMode.Bf16Mixed);

        Assert.True(fp32[^1] < fp32[0] - 0.5, $"fp32 must learn for the comparison to mean something: {fp32[0]} -> {fp32[^1]}");
        for (var i = 0; i < fp32.Length; i++)
            Assert.True(Math.Abs(fp32[i] - mixed[i]) <= 0.05, $"steps {20 * i + 1}-{20 * i + 20}: fp32 {fp32[i]:F4}, bf16-mixed {mixed[i]:F4}");
    }

    // The step's norm, clip and carry work on one flat gradient buffer. A learner who calls model.zero_grad() on the
    // trainer's model (TorchSharp can set gradients to none, as PyTorch does) must not leave them working on a buffer
    // the optimizer no longer reads: with a clip that bites, the run must stay identical to one nobody touched.
    [Theory]
    [InlineData(PrecisionMode.Fp32)]
    [InlineData(PrecisionMode.Bf16Mixed)]
    public void A_zero_grad_from_outside_leaves_the_run_unchanged(PrecisionMode mode)
    {
        var config = TinyRun.Config with { Precision = mode, ClipNorm = 0.2, MaxIters = 6, EvalEvery = 1000 };
        using var untouched = new Trainer(TinyRun.Model(), config, TinyRun.Data(), CPU);
        using var touched = new Trainer(TinyRun.Model(), config, TinyRun.Data(), CPU);
        var expected = untouched.Train().Steps;
        var seen = Enumerable.Range(0, 6).Select(_ =>
        {
            touched.Model.zero_grad(set_to_none: true);
            return touched.Step();
        }).ToList();

        Assert.True(expected.Count(s => s.Clipped) >= 3, "the clip must bite for the comparison to mean anything");
        Assert.Equal(expected.Select(s => (s.Loss, s.GradNorm, s.GradNormAtStep)), seen.Select(s => (s.Loss, s.GradNorm, s.GradNormAtStep)));
    }

    [Fact]
    public void Fp16_overflow_skips_the_step_halves_the_scale_and_says_so()
    {
        // 2^30 times a loss of about ln V overflows float16's 65504 in backward on the first step.
        var config = TinyRun.Config with { Precision = PrecisionMode.Fp16Mixed, InitialLossScale = Math.Pow(2, 30) };
        using var trainer = new Trainer(TinyRun.Model(), config, TinyRun.Data(), CPU);
        var before = trainer.Model.parameters().Select(p => p.detach().clone()).ToArray();

        var first = trainer.Step();

        Assert.True(first.Skipped);
        Assert.Equal(Math.Pow(2, 30), first.LossScale);          // the scale this step used
        Assert.Equal(Math.Pow(2, 29), trainer.Precision.LossScale); // the next step's
        Assert.Equal(0, first.OptimizerStep);
        Assert.Equal(0, trainer.SchedulerPosition);
        Assert.True(double.IsNaN(first.GradNorm));
        Assert.All(trainer.Model.parameters().Zip(before), pair => Assert.True(pair.First.allclose(pair.Second, rtol: 0, atol: 0), "a skipped step changed the weights"));

        // It keeps halving until the gradients fit; the first real update then gets the schedule's first rate.
        var records = new List<NotebookKit.Telemetry.StepRecord> { first };
        while (records[^1].Skipped) records.Add(trainer.Step());
        var update = records[^1];
        Assert.Equal(1, update.OptimizerStep);
        Assert.Equal(config.Schedule.At(0), update.LearningRate);
        Assert.Equal(Math.Pow(2, 30 - (records.Count - 1)), update.LossScale);
        Assert.Equal(records.Count, update.Step);
        Assert.Contains(trainer.Model.parameters().Zip(before), pair => !pair.First.allclose(pair.Second, rtol: 0, atol: 0));
        foreach (var t in before) t.Dispose();
    }

    [Fact]
    public void Fp16_scale_doubles_after_the_growth_interval_of_clean_steps()
    {
        var config = TinyRun.Config with { Precision = PrecisionMode.Fp16Mixed, InitialLossScale = 256, LossScaleGrowthInterval = 5 };
        using var trainer = new Trainer(TinyRun.Model(), config, TinyRun.Data(), CPU);
        var log = trainer.Train(6);
        Assert.All(log.Steps, s => Assert.False(s.Skipped));
        Assert.Equal([256.0, 256, 256, 256, 256, 512], log.Steps.Select(s => s.LossScale));
    }
}

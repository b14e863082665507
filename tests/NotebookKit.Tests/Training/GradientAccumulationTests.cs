using NotebookKit.Data;
using NotebookKit.Model;
using NotebookKit.Runtime;
using NotebookKit.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace NotebookKit.Tests.Training;

public class GradientAccumulationTests
{
    static (TinyGpt Model, Batch Batch) Setup(ScalarType dtype)
    {
        Workbench.Seed(3);
        var model = new TinyGpt(TinyRun.Model()).to(dtype);
        var batch = new WindowSampler(TinyRun.Data().Train, 16, 32, seed: 5).Next(CPU);
        return (model, batch);
    }

    /// <summary>The reference: the mean cross-entropy of the whole batch, written out without StepLoss.</summary>
    static Tensor FullBatchGradient(TinyGpt model, Batch batch)
    {
        model.zero_grad();
        var logits = model.call(batch.Inputs);                                                                 // (B, T, V)
        F.cross_entropy(logits.view(-1, logits.shape[2]), batch.Targets.view(-1), ignore_index: Batch.IgnoreIndex).backward();
        return cat(model.parameters().Select(p => p.grad!.detach().flatten()).ToArray()).clone();
    }

    static double RelativeDifference(Tensor a, Tensor b) => ((a - b).norm() / b.norm()).to(ScalarType.Float64).item<double>();

    [Fact]
    public void Eight_microbatches_of_four_equal_one_batch_of_32_in_fp64()
    {
        var (model, batch) = Setup(ScalarType.Float64);
        var full = FullBatchGradient(model, batch);
        var accumulated = GradientAccumulation.Gradient(model, GradientAccumulation.Split(batch, 8));
        Assert.Equal(ScalarType.Float64, accumulated.dtype);
        Assert.True(RelativeDifference(accumulated, full) < 1e-12, $"relative difference {RelativeDifference(accumulated, full)}");
    }

    [Fact]
    public void In_fp32_they_agree_to_rounding_only()
    {
        var (model, batch) = Setup(ScalarType.Float32);
        var difference = RelativeDifference(GradientAccumulation.Gradient(model, GradientAccumulation.Split(batch, 8)), FullBatchGradient(model, batch));
        Assert.InRange(difference, 1e-10, 1e-5);
    }

    [Fact]
    public void Forgetting_to_divide_makes_the_gradient_eight_times_too_large()
    {
        var (model, batch) = Setup(ScalarType.Float64);
        var microbatches = GradientAccumulation.Split(batch, 8);
        var healthy = GradientAccumulation.Gradient(model, microbatches);
        var broken = GradientAccumulation.Gradient(model, microbatches, LoopFault.AccumulationNotDivided);
        Assert.True(RelativeDifference(broken, healthy * 8) < 1e-12);
    }

    [Fact]
    public void Mean_of_microbatch_means_is_wrong_only_when_token_counts_differ()
    {
        var (model, batch) = Setup(ScalarType.Float64);
        // Mask the first half of every target row in the first microbatch: it now holds fewer target tokens.
        var targets = batch.Targets.clone();
        targets[TensorIndex.Slice(0, 4), TensorIndex.Slice(0, 8)] = tensor(Batch.IgnoreIndex);
        var masked = new Batch(batch.Inputs, targets);
        var microbatches = GradientAccumulation.Split(masked, 8);
        var full = FullBatchGradient(model, masked);
        Assert.True(RelativeDifference(GradientAccumulation.Gradient(model, microbatches), full) < 1e-12);
        Assert.True(RelativeDifference(GradientAccumulation.Gradient(model, microbatches, LoopFault.MeanOfMicrobatchMeans), full) > 1e-3);
        // With equal counts the two normalisations coincide.
        var equal = GradientAccumulation.Split(batch, 8);
        Assert.True(RelativeDifference(GradientAccumulation.Gradient(model, equal, LoopFault.MeanOfMicrobatchMeans), GradientAccumulation.Gradient(model, equal)) < 1e-12);
    }

    [Fact]
    public void Part_way_through_a_step_the_gradient_holds_only_the_microbatches_so_far()
    {
        var (model, batch) = Setup(ScalarType.Float64);
        var microbatches = GradientAccumulation.Split(batch, 8);
        var firstSeven = GradientAccumulation.Gradient(model, microbatches, upTo: 7);
        var all = GradientAccumulation.Gradient(model, microbatches);
        // The last microbatch alone, normalised by the step's 32 windows: an eighth of its own mean gradient.
        var last = GradientAccumulation.Gradient(model, [microbatches[7]]) / 8;
        Assert.True(RelativeDifference(firstSeven + last, all) < 1e-12);
    }

    [Theory]
    [InlineData(LoopFault.None)]
    [InlineData(LoopFault.AccumulationNotDivided)]
    [InlineData(LoopFault.MeanOfMicrobatchMeans)]
    public void The_trainer_s_optimizer_receives_exactly_this_gradient(LoopFault fault)
    {
        // Four microbatches of unequal token counts: the first has half of every target row masked.
        var (_, batch) = Setup(ScalarType.Float32);
        var targets = batch.Targets.clone();
        targets[TensorIndex.Slice(0, 4), TensorIndex.Slice(0, 8)] = tensor(Batch.IgnoreIndex);
        var microbatches = GradientAccumulation.Split(new Batch(batch.Inputs, targets), 4);
        // beta1 = 0: after one step AdamW's first moment is exactly the gradient the optimizer was handed, and its
        // second moment (1 - beta2) times its square. Both betas differ from TorchSharp's defaults, so the test also
        // shows that the configured betas reach every parameter group.
        var config = TinyRun.Config with { Accumulation = 4, BatchSize = 8, ClipNorm = 0, Fault = fault, Beta1 = 0, Beta2 = 0.95 };
        using var trainer = new Trainer(TinyRun.Model(), config, _ => new FixedBatches(microbatches), new FixedBatches(microbatches), CPU);
        using var copy = new TinyGpt(TinyRun.Model());
        copy.load_state_dict(trainer.Model.state_dict());
        var expected = GradientAccumulation.Gradient(copy, microbatches, fault);

        trainer.Step();
        var order = trainer.Optimizer.ParamGroups.Cast<AdamW.ParamGroup>().SelectMany(g => g.Parameters).ToList();
        var states = trainer.Optimizer.state_dict().State;
        AdamW.State StateOf(Tensor p) => (AdamW.State)states[order.FindIndex(q => q.Handle == p.Handle)];
        var received = cat(trainer.Model.parameters().Select(p => StateOf(p).exp_avg.flatten()).ToArray());
        Assert.Equal(expected.data<float>().ToArray(), received.data<float>().ToArray());
        var secondMoment = cat(trainer.Model.parameters().Select(p => StateOf(p).exp_avg_sq.flatten()).ToArray()).to(ScalarType.Float64);
        var squared = expected.to(ScalarType.Float64).square() * 0.05;
        Assert.True(RelativeDifference(secondMoment, squared) < 1e-6);
    }

    [Fact]
    public void Bad_split_and_bad_count_say_what_to_do()
    {
        var (model, batch) = Setup(ScalarType.Float32);
        Assert.Contains("divides 32", Assert.Throws<ArgumentException>(() => GradientAccumulation.Split(batch, 5)).Message);
        Assert.Contains("outside 1 to 8", Assert.Throws<ArgumentException>(() => GradientAccumulation.Gradient(model, GradientAccumulation.Split(batch, 8), upTo: 9)).Message);
    }
}

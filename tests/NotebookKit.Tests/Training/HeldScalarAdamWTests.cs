using NotebookKit.Model;
using NotebookKit.Precision;
using NotebookKit.Runtime;
using NotebookKit.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace NotebookKit.Tests.Training;

/// <summary>NotebookKit's AdamW against TorchSharp's own, which stays the reference: the same weights and moments.</summary>
public class HeldScalarAdamWTests
{
    // Each test holds its model until the end: once a TinyGpt is collected, TorchSharp's finalizer disposes its
    // LayerNorms' weights, even while an optimizer still refers to them.
    static TinyGpt Model()
    {
        Workbench.Seed(11);
        return new TinyGpt(TinyRun.Model());
    }

    static AdamW.ParamGroup[] Groups(IEnumerable<Parameter> parameters)
    {
        AdamW.ParamGroup Group(IEnumerable<Parameter> ps, double decay) => new(ps.ToArray(), lr: 3e-3, beta1: 0.8, beta2: 0.95, eps: 1e-6, weight_decay: decay);
        return [Group(parameters.Where(p => p.dim() >= 2), 0.1), Group(parameters.Where(p => p.dim() < 2), 0.0)];
    }

    /// <summary>How the optimizer under test sees the weights.</summary>
    public enum Layout
    {
        /// <summary>Plain parameters, updated one by one.</summary>
        EachWeight,
        /// <summary>Views into a plan's flat buffers, gradients written into their views: one update of the whole buffers.</summary>
        Flat,
        /// <summary>Flat buffers, but each step assigns fresh .grad tensors, so the update falls back to one per weight.</summary>
        FlatWithFreshGradients,
    }

    // One update per weight is TorchSharp's op sequence on the same tensors, so it must agree to the bit. The flat update
    // is the same sequence on the whole buffers, the decay a multiplication by the same float32 factor; it has agreed to
    // the bit too, but libtorch may round a vector loop's tail differently from its body on some CPU, and the tails fall
    // elsewhere, so there it is held to a few float32 ulps of m and v (which are about 1 here).
    [Theory]
    [InlineData(Layout.EachWeight, 0.0)]
    [InlineData(Layout.FlatWithFreshGradients, 0.0)]
    [InlineData(Layout.Flat, 1e-6)]
    public void Six_steps_with_a_changing_learning_rate_and_decay_give_TorchSharp_s_weights_and_moments(Layout layout, double tolerance)
    {
        using TinyGpt theirModel = Model(), ourModel = Model();
        using var plan = layout == Layout.EachWeight ? null : new PrecisionPlan(ourModel, () => throw new InvalidOperationException("fp32 makes no copy"), PrecisionMode.Fp32, 1, 1);
        using var reference = optim.AdamW(Groups(theirModel.parameters()), lr: 1e-3);
        using var held = new HeldScalarAdamW(Groups(plan?.MasterParameters ?? ourModel.parameters()), lr: 1e-3, beta1: 0.9, beta2: 0.999, plan?.MasterWeights, plan?.MasterGradients);
        var (theirs, ours) = (theirModel.parameters().ToArray(), ourModel.parameters().ToArray());
        var gradients = new Generator(5);
        for (var step = 0; step < 6; step++)
        {
            foreach (var (a, b) in theirs.Zip(ours))
            {
                var g = randn(a.shape, generator: gradients);
                a.grad = g.clone();
                if (layout == Layout.Flat) b.grad!.copy_(g);
                else b.grad = g;
            }
            // A warmup, as the schedule sets it, then a held rate: the flat update keeps its decay factor while nothing
            // changes, and must notice a new decay at an unchanged rate (step 5) and a new rate (step 6).
            var lr = step < 5 ? 3e-3 * Math.Min(step + 1, 3) / 3 : 1e-3;
            foreach (var group in reference.ParamGroups.Concat(held.ParamGroups)) group.LearningRate = lr;
            if (step == 4)
                foreach (var group in new[] { reference.ParamGroups.First(), held.ParamGroups.First() }) ((AdamW.Options)((AdamW.ParamGroup)group).Options).weight_decay = 0.3;
            reference.step();
            held.step();
            Assert.Equal(layout == Layout.Flat, held.SteppedAllAtOnce);
        }
        bool Agree(Tensor a, Tensor b) => a.allclose(b, rtol: 0, atol: tolerance);
        foreach (var (a, b) in theirs.Zip(ours)) Assert.True(Agree(a, b), $"a weight differs from TorchSharp's AdamW after six steps by {(a - b).abs().max().item<float>()}");
        var (theirState, ourState) = (reference.state_dict().State.Cast<AdamW.State>().ToArray(), held.state_dict().State.Cast<AdamW.State>().ToArray());
        Assert.Equal(theirs.Length, ourState.Length);
        foreach (var (a, b) in theirState.Zip(ourState))
        {
            Assert.Equal(6, b.step);
            Assert.True(Agree(a.exp_avg, b.exp_avg) && Agree(a.exp_avg_sq, b.exp_avg_sq), "a moment differs from TorchSharp's AdamW after six steps");
        }
    }

    [Theory]
    [InlineData(PrecisionMode.Fp32)]
    [InlineData(PrecisionMode.Bf16Mixed)]
    [InlineData(PrecisionMode.Bf16)]
    public void A_trainer_s_steps_update_every_weight_at_once(PrecisionMode precision)
    {
        using var trainer = new Trainer(TinyRun.Model(), TinyRun.Config with { Precision = precision }, TinyRun.Data(), CPU);
        for (var step = 0; step < 3; step++)
        {
            trainer.Step();
            Assert.True(((HeldScalarAdamW)trainer.Optimizer).SteppedAllAtOnce, $"step {step + 1} in {precision} updated the weights one by one");
        }
    }

    [Fact]
    public void Weights_move_and_the_decayed_group_shrinks_by_lr_times_decay()
    {
        using var model = Model();
        var groups = Groups(model.parameters());
        using var held = new HeldScalarAdamW(groups, lr: 1e-3, beta1: 0.9, beta2: 0.999);
        var ours = model.parameters().ToArray();
        var matrix = ours.First(p => p.dim() >= 2);
        var before = matrix.detach().clone();
        foreach (var p in ours) p.grad = zeros_like(p);                                                     // no gradient signal: only the decay acts
        held.step();
        Assert.True(matrix.allclose(before * (1 - 3e-3 * 0.1), rtol: 0, atol: 1e-12), "the matrix must shrink by exactly 1 - lr x decay");
    }

    [Fact]
    public void Groups_that_do_not_hold_each_flat_weight_exactly_once_are_refused()
    {
        using var model = Model();
        using var plan = new PrecisionPlan(model, () => throw new InvalidOperationException("fp32 makes no copy"), PrecisionMode.Fp32, 1, 1);
        HeldScalarAdamW Over(params IEnumerable<Parameter>[] groups) =>
            new(groups.Select(g => new AdamW.ParamGroup(g.ToArray(), lr: 3e-3)), lr: 1e-3, beta1: 0.9, beta2: 0.999, plan.MasterWeights, plan.MasterGradients);
        var all = model.parameters().ToArray();
        Assert.Contains("give every weight of the buffer to exactly one group", Assert.Throws<ArgumentException>(() => Over(all.Take(2))).Message, StringComparison.Ordinal);
        Assert.Contains("must belong to exactly one parameter of one group", Assert.Throws<ArgumentException>(() => Over(all, all.Take(1))).Message, StringComparison.Ordinal);
        using var covered = Over(all.Where(p => p.dim() < 2), all.Where(p => p.dim() >= 2));                   // any order of groups, interleaved in the buffer
    }

    [Fact]
    public void Amsgrad_is_refused_by_name()
    {
        using var model = Model();
        var groups = Groups(model.parameters());
        using var held = new HeldScalarAdamW(groups, lr: 1e-3, beta1: 0.9, beta2: 0.999);
        groups[0].Options.amsgrad = true;
        var error = Assert.Throws<NotSupportedException>(() => held.step());
        Assert.Contains("amsgrad", error.Message, StringComparison.Ordinal);
    }
}

using NotebookKit.Model;
using NotebookKit.Runtime;
using NotebookKit.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace NotebookKit.Tests.Training;

/// <summary>NotebookKit's AdamW against TorchSharp's own, which stays the reference: same weights, bit for bit.</summary>
public class HeldScalarAdamWTests
{
    // Each test holds its model until the end: once a TinyGpt is collected, TorchSharp's finalizer disposes its
    // LayerNorms' weights, even while an optimizer still refers to them.
    static TinyGpt Model()
    {
        Workbench.Seed(11);
        return new TinyGpt(TinyRun.Model());
    }

    static (Parameter[] Parameters, AdamW.ParamGroup[] Groups) Groups(TinyGpt model)
    {
        var parameters = model.parameters().ToArray();
        AdamW.ParamGroup Group(IEnumerable<Parameter> ps, double decay) => new(ps.ToArray(), lr: 3e-3, beta1: 0.8, beta2: 0.95, eps: 1e-6, weight_decay: decay);
        return (parameters, [Group(parameters.Where(p => p.dim() >= 2), 0.1), Group(parameters.Where(p => p.dim() < 2), 0.0)]);
    }

    static bool Same(Tensor a, Tensor b) => a.equal(b).all().item<bool>();

    [Fact]
    public void Six_steps_with_a_changing_learning_rate_give_TorchSharp_s_weights_and_moments_exactly()
    {
        using TinyGpt theirModel = Model(), ourModel = Model();
        var (theirs, theirGroups) = Groups(theirModel);
        var (ours, ourGroups) = Groups(ourModel);
        using var reference = optim.AdamW(theirGroups, lr: 1e-3);
        using var held = new HeldScalarAdamW(ourGroups, lr: 1e-3, beta1: 0.9, beta2: 0.999);
        var gradients = new Generator(5);
        for (var step = 0; step < 6; step++)
        {
            foreach (var (a, b) in theirs.Zip(ours))
            {
                var g = randn(a.shape, generator: gradients);
                a.grad = g.clone();
                b.grad = g;
            }
            var lr = 3e-3 * (step + 1) / 6;                                                                 // a warmup, as the schedule sets it
            foreach (var group in reference.ParamGroups.Concat(held.ParamGroups)) group.LearningRate = lr;
            reference.step();
            held.step();
        }
        foreach (var (a, b) in theirs.Zip(ours)) Assert.True(Same(a, b), "a weight differs from TorchSharp's AdamW after six steps");
        var (theirState, ourState) = (reference.state_dict().State.Cast<AdamW.State>().ToArray(), held.state_dict().State.Cast<AdamW.State>().ToArray());
        Assert.Equal(theirs.Length, ourState.Length);
        foreach (var (a, b) in theirState.Zip(ourState))
        {
            Assert.Equal(6, b.step);
            Assert.True(Same(a.exp_avg, b.exp_avg) && Same(a.exp_avg_sq, b.exp_avg_sq), "a moment differs from TorchSharp's AdamW after six steps");
        }
    }

    [Fact]
    public void Weights_move_and_the_decayed_group_shrinks_by_lr_times_decay()
    {
        using var model = Model();
        var (ours, groups) = Groups(model);
        using var held = new HeldScalarAdamW(groups, lr: 1e-3, beta1: 0.9, beta2: 0.999);
        var matrix = ours.First(p => p.dim() >= 2);
        var before = matrix.detach().clone();
        foreach (var p in ours) p.grad = zeros_like(p);                                                     // no gradient signal: only the decay acts
        held.step();
        Assert.True(matrix.allclose(before * (1 - 3e-3 * 0.1), rtol: 0, atol: 1e-12), "the matrix must shrink by exactly 1 - lr x decay");
    }

    [Fact]
    public void Amsgrad_is_refused_by_name()
    {
        using var model = Model();
        var (_, groups) = Groups(model);
        using var held = new HeldScalarAdamW(groups, lr: 1e-3, beta1: 0.9, beta2: 0.999);
        groups[0].Options.amsgrad = true;
        var error = Assert.Throws<NotSupportedException>(() => held.step());
        Assert.Contains("amsgrad", error.Message, StringComparison.Ordinal);
    }
}

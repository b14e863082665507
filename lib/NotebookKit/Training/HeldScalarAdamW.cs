using NotebookKit.Runtime;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace NotebookKit.Training;

/// <summary>
/// TorchSharp's AdamW, with an update step whose numbers stay alive until libtorch has read them.
/// </summary>
/// <remarks>
/// The update is the one TorchSharp's <see cref="AdamW"/> makes, op for op and in the same order, so the two give
/// identical weights; the parameter groups, the state and its saved form are TorchSharp's own. What differs: the
/// inherited step passes nine fresh Scalars per parameter to libtorch and keeps none of them referenced, so a
/// garbage collection during the step can free one mid-op (see <see cref="HeldScalars"/>). Here each Scalar is made
/// once per group, or per parameter where it depends on the parameter's step count, and held until the update is done.
/// amsgrad and maximize are not offered: nothing in NotebookKit uses them.
/// </remarks>
public sealed class HeldScalarAdamW : AdamW
{
    /// <summary>AdamW over <paramref name="groups"/>; each group's own lr, betas and weight decay win over these defaults.</summary>
    public HeldScalarAdamW(IEnumerable<ParamGroup> groups, double lr, double beta1, double beta2)
        : base(groups, lr, beta1, beta2)
    {
    }

    /// <summary>One AdamW update of every parameter that has a gradient.</summary>
    public override Tensor step(Func<Tensor>? closure = null) => _step<ParamGroup>(group =>
    {
        var options = (Options)group.Options;
        if (options.amsgrad == true || options.maximize == true)
            throw new NotSupportedException("HeldScalarAdamW does not implement amsgrad or maximize: use TorchSharp's optim.AdamW for them");
        var (lr, beta1, beta2) = (options.LearningRate!.Value, options.beta1!.Value, options.beta2!.Value);
        var decay = 1 - lr * options.weight_decay!.Value;
        using Scalar decayBy = decay, keep1 = beta1, take1 = 1 - beta1, keep2 = beta2, take2 = 1 - beta2, eps = options.eps!.Value;
        foreach (var param in group.Parameters)
        {
            if (param.grad is not { } grad) continue;
            var state = (State)_state[param.Handle];
            state.step += 1;
            if (decay != 1) param.mul_(decayBy);                                                   // decoupled weight decay
            state.exp_avg.mul_(keep1).add_(grad, alpha: take1);                                    // m = β1 m + (1 - β1) g
            state.exp_avg_sq.mul_(keep2).addcmul_(grad, grad, value: take2);                       // v = β2 v + (1 - β2) g²
            using Scalar rootCorrection2 = Math.Sqrt(1 - Math.Pow(beta2, state.step)),
                         stepSize = -lr / (1 - Math.Pow(beta1, state.step));
            var denominator = state.exp_avg_sq.sqrt().div_(rootCorrection2).add_(eps, HeldScalars.One);  // sqrt(v̂) + ε
            param.addcdiv_(state.exp_avg, denominator, value: stepSize);                           // p -= lr m̂ / (sqrt(v̂) + ε)
        }
    }, closure);
}

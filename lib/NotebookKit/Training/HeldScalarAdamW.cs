using NotebookKit.Runtime;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace NotebookKit.Training;

/// <summary>
/// TorchSharp's AdamW, with an update step whose numbers stay alive until libtorch has read them, and that updates a
/// whole parameter group at once when its weights and gradients lie in flat buffers.
/// </summary>
/// <remarks>
/// The update is the one TorchSharp's <see cref="AdamW"/> makes, op for op and in the same order; the parameter groups,
/// the state and its saved form are TorchSharp's own. What differs:
/// <list type="bullet">
/// <item>The inherited step passes nine fresh Scalars per parameter to libtorch and keeps none of them referenced, so
/// a garbage collection during the step can free one mid-op (see <see cref="HeldScalars"/>). Here each Scalar is made
/// once per group, or where it depends on the step count, once per update, and held until the update is done.</item>
/// <item>Given the flat buffers a <see cref="Precision.PrecisionPlan"/> lays the weights and gradients out in, the
/// moments m and v become views into two flat buffers of the same layout, and a group whose weights, gradients and
/// moments all still sit at their slices is updated with eight operations in all instead of eight per weight tensor
/// (the default model has 52). Any other group, or one where something replaced a tensor (a <c>model.zero_grad()</c>
/// that set the gradients to none, a state loaded from memory), is updated weight by weight, as TorchSharp does.
/// The two ways agree element for element up to the last bit: libtorch may round the tail of a vector loop
/// differently from its body, and a slice's tail falls elsewhere than a whole tensor's.</item>
/// </list>
/// amsgrad and maximize are not offered: nothing in NotebookKit uses them.
/// </remarks>
public sealed class HeldScalarAdamW : AdamW
{
    readonly Dictionary<ParamGroup, Slice> _slices = [];
    readonly Tensor? _weights, _gradients, _firstMoments, _secondMoments;

    /// <summary>Where one parameter group lies in the flat buffers: from Start, Length elements; each parameter at its offset.</summary>
    sealed record Slice(long Start, long Length, Parameter[] Parameters, long[] Offsets);

    /// <summary>AdamW over <paramref name="groups"/>; each group's own lr, betas and weight decay win over these defaults.</summary>
    /// <param name="groups">The parameter groups.</param>
    /// <param name="lr">Default learning rate.</param>
    /// <param name="beta1">Default first-moment decay.</param>
    /// <param name="beta2">Default second-moment decay.</param>
    /// <param name="weights">
    /// Optional: a flat buffer every parameter is a view into (<see cref="Precision.PrecisionPlan.MasterWeights"/>), each
    /// group's parameters one after another in it; the gradients must be laid out the same way in <paramref name="gradients"/>.
    /// </param>
    /// <param name="gradients">The flat buffer of the gradients, required with <paramref name="weights"/>.</param>
    /// <exception cref="ArgumentException">The groups do not cover <paramref name="weights"/>, or a group's parameters are not consecutive slices of it.</exception>
    public HeldScalarAdamW(IEnumerable<ParamGroup> groups, double lr, double beta1, double beta2, Tensor? weights = null, Tensor? gradients = null)
        : base(groups, lr, beta1, beta2)
    {
        if (weights is null) return;
        if (gradients is null || !gradients.shape.SequenceEqual(weights.shape))
            throw new ArgumentException("flat weights need flat gradients of the same length: pass PrecisionPlan.MasterWeights with PrecisionPlan.MasterGradients");
        var held = ParamGroups.Cast<ParamGroup>().Sum(g => g.Parameters.Sum(p => p.numel()));
        if (held != weights.numel())
            throw new ArgumentException($"the groups hold {held} weights and the flat buffer {weights.numel()}: give every weight of the buffer to exactly one group");
        (_weights, _gradients) = (weights, gradients);
        _firstMoments = zeros_like(weights).DetachFromDisposeScope();
        _secondMoments = zeros_like(weights).DetachFromDisposeScope();
        foreach (var group in ParamGroups.Cast<ParamGroup>())
        {
            var parameters = group.Parameters.ToArray();
            var offsets = parameters.Select(p => p.storage_offset() - weights.storage_offset()).ToArray();
            for (var i = 0; i < parameters.Length; i++)
            {
                if (i > 0 && offsets[i] != offsets[i - 1] + parameters[i - 1].numel())
                    throw new ArgumentException($"parameter {i} of a group starts at element {offsets[i]} of the flat weights, not right after the one before it: lay each group out as one slice");
                var state = (State)_state[parameters[i].Handle];
                state.exp_avg.Dispose();
                state.exp_avg_sq.Dispose();
                state.exp_avg = _firstMoments.narrow(0, offsets[i], parameters[i].numel()).view(parameters[i].shape).DetachFromDisposeScope();
                state.exp_avg_sq = _secondMoments.narrow(0, offsets[i], parameters[i].numel()).view(parameters[i].shape).DetachFromDisposeScope();
            }
            if (parameters.Length > 0)
                _slices[group] = new Slice(offsets[0], offsets[^1] + parameters[^1].numel() - offsets[0], parameters, offsets);
        }
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
        var slice = _slices.GetValueOrDefault(group) is { } whole && InPlace(whole) ? whole : null;
        foreach (var (param, grad, exp_avg, exp_avg_sq, step) in slice is null ? EachWeight(group) : [AllAtOnce(slice)])
        {
            if (decay != 1) param.mul_(decayBy);                                                   // decoupled weight decay
            exp_avg.mul_(keep1).add_(grad, alpha: take1);                                          // m = β1 m + (1 - β1) g
            exp_avg_sq.mul_(keep2).addcmul_(grad, grad, value: take2);                             // v = β2 v + (1 - β2) g²
            using Scalar rootCorrection2 = Math.Sqrt(1 - Math.Pow(beta2, step)),
                         stepSize = -lr / (1 - Math.Pow(beta1, step));
            var denominator = exp_avg_sq.sqrt().div_(rootCorrection2).add_(eps, HeldScalars.One);  // sqrt(v̂) + ε
            param.addcdiv_(exp_avg, denominator, value: stepSize);                                 // p -= lr m̂ / (sqrt(v̂) + ε)
        }
        // An update through the flat buffer is invisible to autograd's check that a weight saved for backward has not
        // changed since. Re-pointing each weight at its own slice counts as a change, so a backward through a graph built
        // before this step fails loudly, as it does when the weights are updated one by one.
        if (slice is not null)
            foreach (var param in slice.Parameters) param.set_(param);
    }, closure);

    /// <summary>Each weight of <paramref name="group"/> that has a gradient, with its moments and its update count, counted up for this update.</summary>
    List<(Tensor Weight, Tensor Gradient, Tensor FirstMoment, Tensor SecondMoment, long Step)> EachWeight(ParamGroup group)
    {
        var each = new List<(Tensor, Tensor, Tensor, Tensor, long)>();
        foreach (var param in group.Parameters)
        {
            if (param.grad is not { } grad) continue;
            var state = (State)_state[param.Handle];
            state.step += 1;
            each.Add((param, grad, state.exp_avg, state.exp_avg_sq, state.step));
        }
        return each;
    }

    /// <summary>The group's slices of the four flat buffers, with the update count every weight in it reaches now.</summary>
    (Tensor Weight, Tensor Gradient, Tensor FirstMoment, Tensor SecondMoment, long Step) AllAtOnce(Slice slice)
    {
        long step = 0;
        foreach (var param in slice.Parameters) step = ++((State)_state[param.Handle]).step;
        Tensor Of(Tensor flat) => flat.narrow(0, slice.Start, slice.Length);
        return (Of(_weights!), Of(_gradients!), Of(_firstMoments!), Of(_secondMoments!), step);
    }

    /// <summary>
    /// Whether every weight, gradient and moment of the group is still the view at its slice, and every weight has made
    /// the same number of updates: then one update of the slices is the update of each.
    /// </summary>
    bool InPlace(Slice slice)
    {
        var steps = ((State)_state[slice.Parameters[0].Handle]).step;
        var (weightsAt, gradientsAt, momentsAt) = (_weights!.storage_offset(), _gradients!.storage_offset(), _firstMoments!.storage_offset());
        for (var i = 0; i < slice.Parameters.Length; i++)
        {
            var (param, offset) = (slice.Parameters[i], slice.Offsets[i]);
            var state = (State)_state[param.Handle];
            using var grad = param.grad;
            if (state.step != steps || grad is null || param.storage_offset() != weightsAt + offset || grad.storage_offset() != gradientsAt + offset
                || state.exp_avg.storage_offset() != momentsAt + offset || state.exp_avg_sq.storage_offset() != momentsAt + offset)
                return false;
        }
        return true;
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (!disposing) return;
        _firstMoments?.Dispose();
        _secondMoments?.Dispose();
    }
}

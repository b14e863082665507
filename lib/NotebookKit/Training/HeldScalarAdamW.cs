using NotebookKit.Runtime;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace NotebookKit.Training;

/// <summary>
/// TorchSharp's AdamW, with an update step whose numbers stay alive until libtorch has read them, and that updates
/// every weight in one pass when the weights and gradients lie in flat buffers.
/// </summary>
/// <remarks>
/// The update is the one TorchSharp's <see cref="AdamW"/> makes, op for op and in the same order; the parameter groups,
/// the state and its saved form are TorchSharp's own. What differs:
/// <list type="bullet">
/// <item>The inherited step passes nine fresh Scalars per parameter to libtorch and keeps none of them referenced, so
/// a garbage collection during the step can free one mid-op (see <see cref="HeldScalars"/>). Here every Scalar is held
/// until the operation that reads it has returned.</item>
/// <item>Given the flat buffers a <see cref="Precision.PrecisionPlan"/> lays the weights and gradients out in, the
/// moments m and v become views into two flat buffers of the same layout. When the groups share their learning rate,
/// betas and epsilon (they may differ in weight decay), and every weight, gradient and moment still sits at its slice,
/// the step is eight operations on the whole buffers instead of eight per weight tensor (the default model has 52),
/// after the decay: one multiplication by a factor per element, 1 where a group has none, which takes one fill and
/// one masked fill per decayed group to set whenever the learning rate or a decay has changed. Otherwise, for instance
/// after a <c>model.zero_grad()</c> that set the gradients to none or a state loaded from memory, each weight is
/// updated on its own, as TorchSharp does. Elementwise, both ways are the same operations on the same numbers; only
/// the tail of a vector loop falls elsewhere, which libtorch may round differently on some CPUs.</item>
/// </list>
/// amsgrad and maximize are not offered: nothing in NotebookKit uses them.
/// </remarks>
public sealed class HeldScalarAdamW : AdamW
{
    readonly Flat? _flat;

    /// <summary>Each group's 1 - lr x decay that <see cref="Flat.DecayFactor"/> holds now; null before it is first set.</summary>
    double[]? _factorDecays;

    /// <summary>The flat buffers, and for each group the elements and, per parameter, the offset it holds in them.</summary>
    sealed record Flat(Tensor Weights, Tensor Gradients, Tensor FirstMoments, Tensor SecondMoments, Tensor DecayFactor,
        Dictionary<ParamGroup, Tensor> Members, (Parameter Parameter, long Offset)[] Slices) : IDisposable
    {
        public void Dispose()
        {
            foreach (var t in Members.Values.Append(FirstMoments).Append(SecondMoments).Append(DecayFactor)) t.Dispose();
        }
    }

    /// <summary>AdamW over <paramref name="groups"/>; each group's own lr, betas and weight decay win over these defaults.</summary>
    /// <param name="groups">The parameter groups.</param>
    /// <param name="lr">Default learning rate.</param>
    /// <param name="beta1">Default first-moment decay.</param>
    /// <param name="beta2">Default second-moment decay.</param>
    /// <param name="weights">
    /// Optional: a flat buffer every parameter is a view into (<see cref="Precision.PrecisionPlan.MasterWeights"/>), in
    /// any order, each element held by exactly one parameter; the gradients must be laid out the same way in
    /// <paramref name="gradients"/>.
    /// </param>
    /// <param name="gradients">The flat buffer of the gradients, required with <paramref name="weights"/>.</param>
    /// <exception cref="ArgumentException">The parameters do not tile <paramref name="weights"/>, or the gradients are missing.</exception>
    public HeldScalarAdamW(IEnumerable<ParamGroup> groups, double lr, double beta1, double beta2, Tensor? weights = null, Tensor? gradients = null)
        : base(groups, lr, beta1, beta2)
    {
        if (weights is null) return;
        if (gradients is null || !gradients.shape.SequenceEqual(weights.shape))
            throw new ArgumentException("flat weights need flat gradients of the same length: pass PrecisionPlan.MasterWeights with PrecisionPlan.MasterGradients");
        var slices = ParamGroups.Cast<ParamGroup>().SelectMany(g => g.Parameters).Select(p => (Parameter: p, Offset: p.storage_offset() - weights.storage_offset())).ToArray();
        long next = 0;
        foreach (var (parameter, offset) in slices.OrderBy(s => s.Offset))
        {
            if (offset != next)
                throw new ArgumentException($"a parameter starts at element {offset} of the flat weights where {next} was expected: every element of the buffer must belong to exactly one parameter of one group");
            next += parameter.numel();
        }
        if (next != weights.numel())
            throw new ArgumentException($"the groups hold {next} weights and the flat buffer {weights.numel()}: give every weight of the buffer to exactly one group");

        var members = new Dictionary<ParamGroup, Tensor>();
        using Scalar yes = true;
        var (first, second) = (zeros_like(weights).DetachFromDisposeScope(), zeros_like(weights).DetachFromDisposeScope());
        foreach (var group in ParamGroups.Cast<ParamGroup>())
        {
            var member = zeros(weights.numel(), dtype: ScalarType.Bool, device: weights.device).DetachFromDisposeScope();
            foreach (var p in group.Parameters)
            {
                var (offset, state) = (p.storage_offset() - weights.storage_offset(), (State)_state[p.Handle]);
                using (var mine = member.narrow(0, offset, p.numel())) mine.fill_(yes);
                state.exp_avg.Dispose();
                state.exp_avg_sq.Dispose();
                state.exp_avg = first.narrow(0, offset, p.numel()).view(p.shape).DetachFromDisposeScope();
                state.exp_avg_sq = second.narrow(0, offset, p.numel()).view(p.shape).DetachFromDisposeScope();
            }
            members[group] = member;
        }
        // float32 even for 16-bit weights: multiplying by a Scalar computes in float32 too, and 1 - lr x decay rounded to
        // bfloat16 would be exactly 1.
        var factorType = weights.dtype == ScalarType.Float64 ? ScalarType.Float64 : ScalarType.Float32;
        var factor = ones(weights.numel(), dtype: factorType, device: weights.device).DetachFromDisposeScope();
        _flat = new Flat(weights, gradients, first, second, factor, members, slices);
    }

    /// <summary>Whether the last step updated every weight at once through the flat buffers.</summary>
    internal bool SteppedAllAtOnce { get; private set; }

    /// <summary>One AdamW update of every parameter that has a gradient.</summary>
    public override Tensor step(Func<Tensor>? closure = null)
    {
        var settings = default((double Lr, double Beta1, double Beta2, double Eps)?);
        var first = true;
        return _step<ParamGroup>(group =>
        {
            var options = (Options)group.Options;
            if (options.amsgrad == true || options.maximize == true)
                throw new NotSupportedException("HeldScalarAdamW does not implement amsgrad or maximize: use TorchSharp's optim.AdamW for them");
            if (first)                                                                             // after the closure, if any, has made the gradients
            {
                settings = AllAtOnce();
                if (settings is { } s) UpdateAll(s.Lr, s.Beta1, s.Beta2, s.Eps);
                SteppedAllAtOnce = settings is not null;
                first = false;
            }
            if (settings is null) UpdateEachWeight(group, options);
        }, closure);
    }

    /// <summary>Every weight of <paramref name="group"/> that has a gradient, updated on its own.</summary>
    void UpdateEachWeight(ParamGroup group, Options options)
    {
        var lr = options.LearningRate!.Value;
        var decay = 1 - lr * options.weight_decay!.Value;
        using Scalar decayBy = decay;
        foreach (var param in group.Parameters)
        {
            if (param.grad is not { } grad) continue;
            var state = (State)_state[param.Handle];
            state.step += 1;
            if (decay != 1) param.mul_(decayBy);                                                   // decoupled weight decay
            Update(param, grad, state.exp_avg, state.exp_avg_sq, state.step, lr, options.beta1!.Value, options.beta2!.Value, options.eps!.Value);
        }
    }

    /// <summary>Every weight at once, through the flat buffers.</summary>
    void UpdateAll(double lr, double beta1, double beta2, double eps)
    {
        var flat = _flat!;
        long step = 0;
        foreach (var (param, _) in flat.Slices) step = ++((State)_state[param.Handle]).step;
        var decays = ParamGroups.Cast<ParamGroup>().Select(g => 1 - lr * ((Options)g.Options).weight_decay!.Value).ToArray();
        if (decays.Any(d => d != 1))
        {
            if (_factorDecays is null || !_factorDecays.SequenceEqual(decays))                     // the factor is kept while lr and decay stay
            {
                flat.DecayFactor.fill_(HeldScalars.One);
                foreach (var (group, decay) in ParamGroups.Cast<ParamGroup>().Zip(decays).Where(g => g.Second != 1))
                {
                    using Scalar decayBy = decay;
                    flat.DecayFactor.masked_fill_(flat.Members[group], decayBy);
                }
                _factorDecays = decays;
            }
            flat.Weights.mul_(flat.DecayFactor);                                                  // decoupled weight decay, 1 where a group has none
        }
        Update(flat.Weights, flat.Gradients, flat.FirstMoments, flat.SecondMoments, step, lr, beta1, beta2, eps);
        // A write through the flat buffer is invisible to autograd's check that a weight saved for backward has not
        // changed since. Re-pointing each weight at its own slice counts as a change, so a backward through a graph built
        // before this step fails loudly, as it does when the weights are updated one by one.
        foreach (var (param, _) in flat.Slices) param.set_(param);
    }

    /// <summary>AdamW's moments and update of <paramref name="param"/>, after the weight decay, at update count <paramref name="step"/>.</summary>
    static void Update(Tensor param, Tensor grad, Tensor exp_avg, Tensor exp_avg_sq, long step, double lr, double beta1, double beta2, double eps)
    {
        using Scalar keep1 = beta1, take1 = 1 - beta1, keep2 = beta2, take2 = 1 - beta2, epsilon = eps,
                     rootCorrection2 = Math.Sqrt(1 - Math.Pow(beta2, step)),
                     stepSize = -lr / (1 - Math.Pow(beta1, step));
        exp_avg.mul_(keep1).add_(grad, alpha: take1);                                              // m = β1 m + (1 - β1) g
        exp_avg_sq.mul_(keep2).addcmul_(grad, grad, value: take2);                                 // v = β2 v + (1 - β2) g²
        var denominator = exp_avg_sq.sqrt().div_(rootCorrection2).add_(epsilon, HeldScalars.One);  // sqrt(v̂) + ε
        param.addcdiv_(exp_avg, denominator, value: stepSize);                                     // p -= lr m̂ / (sqrt(v̂) + ε)
    }

    /// <summary>
    /// The learning rate, betas and epsilon every group shares, when one update of the flat buffers is the update of each
    /// weight: every weight, gradient and moment is still the view at its slice and every weight has made the same
    /// number of updates. Null otherwise.
    /// </summary>
    (double Lr, double Beta1, double Beta2, double Eps)? AllAtOnce()
    {
        if (_flat is not { } flat) return null;
        var settings = ParamGroups.Cast<ParamGroup>().Select(g => (Options)g.Options)
            .Select(o => (o.LearningRate!.Value, o.beta1!.Value, o.beta2!.Value, o.eps!.Value)).Distinct().ToArray();
        if (settings.Length != 1) return null;
        var steps = ((State)_state[flat.Slices[0].Parameter.Handle]).step;
        var (weightsAt, gradientsAt, firstAt, secondAt) = (flat.Weights.storage_offset(), flat.Gradients.storage_offset(), flat.FirstMoments.storage_offset(), flat.SecondMoments.storage_offset());
        foreach (var (param, offset) in flat.Slices)
        {
            var state = (State)_state[param.Handle];
            using var grad = param.grad;
            if (state.step != steps || grad is null || param.storage_offset() != weightsAt + offset || grad.storage_offset() != gradientsAt + offset
                || state.exp_avg.storage_offset() != firstAt + offset || state.exp_avg_sq.storage_offset() != secondAt + offset)
                return null;
        }
        return settings[0];
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing) _flat?.Dispose();
    }
}

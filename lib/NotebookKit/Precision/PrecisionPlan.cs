using NotebookKit.Runtime;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace NotebookKit.Precision;

/// <summary>
/// Carries out one <see cref="PrecisionMode"/> for a model: which copy computes, which weights the
/// optimizer steps, how the loss is scaled and how gradients reach the optimizer.
/// </summary>
/// <remarks>
/// TorchSharp has neither autocast nor a GradScaler, so mixed precision is done by hand, the way
/// the first mixed-precision trainers did it: a low-precision copy of the model runs forward and
/// backward; its gradients are carried up to float32, unscaled and checked; the optimizer updates
/// float32 master weights; the copy is refreshed from the masters before the next forward.
/// <para>
/// Every weight and every gradient of a model is a view into one flat buffer per model, set up once: backward adds
/// into the gradient views in place, so the global norm, clipping, zeroing, the carry to the masters and the refresh
/// of the copy are one operation each instead of one per weight tensor, and AdamW can update all the weights in one
/// pass (see <see cref="Training.HeldScalarAdamW"/>). On CPU each small operation costs microseconds of
/// dispatch and a wait for every thread, and the default model has 52 weight tensors.
/// </para>
/// </remarks>
public sealed class PrecisionPlan : IDisposable
{
    readonly Parameter[] _master;
    readonly Parameter[] _compute;
    readonly int _growthInterval;
    readonly Module<Tensor, Tensor>? _copy;
    readonly Tensor _masterWeights;
    readonly Tensor _computeWeights;
    readonly Tensor _computeGrads;
    readonly Tensor _masterGrads;
    readonly long _lastGradOffset;

    /// <summary>Sets up <paramref name="mode"/> for <paramref name="master"/>.</summary>
    /// <param name="master">The model; for <see cref="PrecisionMode.Bf16"/> it is converted in place.</param>
    /// <param name="makeCopy">Builds another instance of the same architecture, used as the compute copy in mixed modes.</param>
    /// <param name="mode">The precision mode.</param>
    /// <param name="initialScale">Starting loss scale for fp16 (ignored otherwise).</param>
    /// <param name="growthInterval">Clean fp16 steps before the scale doubles.</param>
    public PrecisionPlan(Module<Tensor, Tensor> master, Func<Module<Tensor, Tensor>> makeCopy, PrecisionMode mode, double initialScale, int growthInterval)
    {
        Mode = mode;
        _growthInterval = growthInterval;
        LossScale = mode == PrecisionMode.Fp16Mixed ? initialScale : 1.0;
        if (mode == PrecisionMode.Bf16) master.to(ScalarType.BFloat16);
        Compute = master;
        if (mode is PrecisionMode.Bf16Mixed or PrecisionMode.Fp16Mixed)
        {
            _copy = makeCopy().to(ComputeType(mode));
            foreach (var p in _copy.parameters()) p.requires_grad = true;
            Compute = _copy;
        }
        _master = master.parameters().ToArray();
        _compute = Compute.parameters().ToArray();
        _masterWeights = FlatWeights(_master);
        _computeWeights = _copy is null ? _masterWeights : FlatWeights(_compute);
        _computeGrads = FlatGradients(_compute);
        _masterGrads = _copy is null ? _computeGrads : FlatGradients(_master);
        _lastGradOffset = _computeGrads.numel() - _compute[^1].numel(); // the same in both models: they share one shape
        RefreshCompute();
    }

    /// <summary>Moves every parameter's values into one new flat buffer, makes the parameter a view of its slice, and returns the buffer.</summary>
    static Tensor FlatWeights(Parameter[] parameters)
    {
        using var _ = no_grad();
        var flat = empty(parameters.Sum(p => p.numel()), dtype: parameters[0].dtype, device: parameters[0].device).DetachFromDisposeScope();
        long offset = 0;
        foreach (var p in parameters)
        {
            using var slice = flat.narrow(0, offset, p.numel()).view(p.shape);
            slice.copy_(p);
            p.set_(slice);
            offset += p.numel();
        }
        return flat;
    }

    /// <summary>Makes every parameter's .grad a zero-filled view into one new flat buffer, and returns the buffer.</summary>
    static Tensor FlatGradients(Parameter[] parameters)
    {
        var flat = zeros(parameters.Sum(p => p.numel()), dtype: parameters[0].dtype, device: parameters[0].device).DetachFromDisposeScope();
        AttachGradients(parameters, flat);
        return flat;
    }

    /// <summary>Points every parameter's .grad at its slice of <paramref name="flat"/>, keeping whatever gradient it held.</summary>
    static void AttachGradients(Parameter[] parameters, Tensor flat)
    {
        using var _ = no_grad();
        long offset = 0;
        foreach (var p in parameters)
        {
            using var view = flat.narrow(0, offset, p.numel()).view(p.shape);
            using (var held = p.grad)
                if (held is not null) view.copy_(held);
            p.grad = view;
            offset += p.numel();
        }
    }

    /// <summary>
    /// Whether the last parameter's .grad still sits where <see cref="AttachGradients"/> put it: at its offset in the flat
    /// buffer. A gradient allocated anew (after a zero_grad that set it to none) starts at offset 0, or is none.
    /// </summary>
    bool Attached(Parameter[] parameters)
    {
        using var last = parameters[^1].grad;
        return last is not null && last.storage_offset() == _lastGradOffset;
    }

    /// <summary>
    /// Puts the gradients back into the flat buffers, values kept, when something outside the plan replaced them: a
    /// <c>model.zero_grad()</c> that set them to none, after which backward allocates fresh ones (or, for the masters in
    /// mixed modes, none at all). Without this the norm, the clip and the carry would act on buffers the optimizer no
    /// longer reads. One gradient per model is looked at each step; zero_grad replaces every gradient of a model at once.
    /// </summary>
    void KeepGradientsFlat()
    {
        if (!Attached(_compute)) AttachGradients(_compute, _computeGrads);
        if (_copy is not null && !Attached(_master)) AttachGradients(_master, _masterGrads);
    }

    /// <summary>The number type forward and backward run in under <paramref name="mode"/>: float32, bfloat16 or float16.</summary>
    public static ScalarType ComputeType(PrecisionMode mode) => mode switch
    {
        PrecisionMode.Bf16 or PrecisionMode.Bf16Mixed => ScalarType.BFloat16,
        PrecisionMode.Fp16Mixed => ScalarType.Float16,
        _ => ScalarType.Float32,
    };

    /// <summary>The mode being carried out.</summary>
    public PrecisionMode Mode { get; }

    /// <summary>The model that runs forward and backward: the master itself, or its low-precision copy.</summary>
    public Module<Tensor, Tensor> Compute { get; }

    /// <summary>The weights the optimizer updates (float32 masters in mixed modes).</summary>
    public IReadOnlyList<Parameter> MasterParameters => _master;

    /// <summary>Every weight the optimizer updates, flat: the <see cref="MasterParameters"/> are views into it, in order.</summary>
    public Tensor MasterWeights => _masterWeights;

    /// <summary>Every gradient of the compute model, flat: its parameters' .grad are views into it.</summary>
    public Tensor ComputeGradients => _computeGrads;

    /// <summary>Every gradient the optimizer steps with, flat (the same buffer as <see cref="ComputeGradients"/> outside the mixed modes).</summary>
    public Tensor MasterGradients => _masterGrads;

    /// <summary>The current loss scale; 1 outside fp16.</summary>
    public double LossScale { get; private set; }

    /// <summary>Clean steps since the scale last changed (fp16 only).</summary>
    public int GoodSteps { get; private set; }

    /// <summary>Restores the loss-scaling state from a checkpoint.</summary>
    public void Restore(double lossScale, int goodSteps)
    {
        LossScale = lossScale;
        GoodSteps = goodSteps;
    }

    /// <summary>Copies the master weights into the compute copy (mixed modes; otherwise nothing to do).</summary>
    public void RefreshCompute()
    {
        if (_copy is null) return;
        using var _ = no_grad();
        _computeWeights.copy_(_masterWeights);
    }

    /// <summary>The loss to backpropagate: multiplied by the loss scale in fp16, so small gradients do not flush to zero.</summary>
    public Tensor Scale(Tensor loss) => LossScale == 1.0 ? loss : loss.Times(LossScale);

    /// <summary>
    /// Brings the compute copy's gradients to the master weights in float32 and divides out the loss
    /// scale. Returns false when a gradient is inf or NaN (an fp16 overflow): the step must be skipped.
    /// </summary>
    public bool GradientsToMaster()
    {
        KeepGradientsFlat();
        if (_copy is null) return true;
        using var _ = no_grad();
        _masterGrads.copy_(_computeGrads);
        if (LossScale != 1.0)
        {
            using Scalar scale = LossScale;                                                                  // held through the op: see HeldScalars
            _masterGrads.div_(scale);
        }
        if (Mode != PrecisionMode.Fp16Mixed) return true;
        using var finite = _masterGrads.isfinite().all();
        return HostRead.Long(finite) == 1;
    }

    /// <summary>Updates the loss scale after a step: halve it on overflow, double it after a run of clean steps.</summary>
    public void AfterStep(bool finite)
    {
        if (Mode != PrecisionMode.Fp16Mixed) return;
        if (!finite)
        {
            LossScale /= 2;
            GoodSteps = 0;
        }
        else if (++GoodSteps == _growthInterval)
        {
            LossScale *= 2;
            GoodSteps = 0;
        }
    }

    /// <summary>
    /// Fills every gradient the step could see, the compute copy's and the masters', with zeros, in place: backward
    /// then adds into the same buffers every step instead of allocating fresh ones. PyTorch's <c>zero_grad()</c> sets
    /// gradients to None instead, and its optimizers skip a parameter whose gradient is None; here every parameter is
    /// stepped, with a zero gradient if need be.
    /// </summary>
    public void ZeroGrad()
    {
        _computeGrads.zero_();
        if (_copy is not null) _masterGrads.zero_();
    }

    /// <summary>Frees the flat buffers and the compute copy.</summary>
    public void Dispose()
    {
        if (_copy is not null)
        {
            _masterGrads.Dispose();
            _computeWeights.Dispose();
        }
        _computeGrads.Dispose();
        _masterWeights.Dispose();
        _copy?.Dispose();
    }
}

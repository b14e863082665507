using NotebookKit.Data;
using NotebookKit.Model;
using NotebookKit.Precision;
using NotebookKit.Runtime;
using NotebookKit.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace NotebookKit.Benchmarks;

/// <summary>
/// The training loop as someone would write it by hand in TorchSharp, with nothing around it: the
/// yardstick <see cref="LoopBenchmark"/> holds <see cref="Trainer.Step"/> against.
/// </summary>
/// <remarks>
/// It trains the same <see cref="TinyGpt"/>, seeded the same way, on the same windows, with the
/// same AdamW groups, learning-rate schedule and clipping as a <see cref="Trainer"/> built from the
/// same settings, so the two compute the same losses; a test gives both the same weights and batches
/// explicitly and holds their losses equal. What it leaves out is what the library adds:
/// telemetry (token counts, gradient norms before and at the step, tokens/s, MFU, the step record),
/// fault switches, accumulation, simulated ranks and evaluation. Mixed precision is done the plain
/// way: refresh the low-precision copy, backward through it, carry its gradients to float32. fp16
/// uses a fixed loss scale of <see cref="TrainConfig.InitialLossScale"/> and skips a step whose
/// gradients overflow, without the dynamic scale's bookkeeping.
/// </remarks>
public sealed class BareLoop : IDisposable
{
    readonly TinyGpt _model;
    readonly TinyGpt? _copy;
    readonly Parameter[] _master;
    readonly Parameter[] _compute;
    readonly AdamW _optimizer;
    readonly IBatchSource _batches;
    readonly LearningRate _schedule;
    readonly double _clip;
    readonly double _lossScale;
    readonly PrecisionMode _mode;
    readonly Device _device;
    long _updates;

    /// <summary>Builds the model, its compute copy in mixed modes and the optimizer.</summary>
    /// <param name="model">The model's shape.</param>
    /// <param name="config">Batch size, optimizer settings, schedule, clipping, seed and precision; accumulation and ranks must be 1.</param>
    /// <param name="batches">Where the batches come from, e.g. a <see cref="WindowSampler"/> over the training ids seeded with <see cref="TrainConfig.Seed"/>, as the trainer's.</param>
    /// <param name="device">Where to train.</param>
    /// <exception cref="ArgumentException">Accumulation or ranks other than 1: the bare loop has one microbatch per step.</exception>
    public BareLoop(ModelConfig model, TrainConfig config, IBatchSource batches, Device device)
    {
        config.Validate();
        if (config.Accumulation != 1 || config.Ranks != 1)
            throw new ArgumentException($"the bare loop takes one microbatch per step: accumulation {config.Accumulation} and ranks {config.Ranks} must both be 1 (use --accum 1)");
        _device = device;
        _mode = config.Precision;
        _schedule = config.Schedule;
        _clip = config.ClipNorm;
        _lossScale = _mode == PrecisionMode.Fp16Mixed ? config.InitialLossScale : 1.0;

        // Same seed, same construction order as the Trainer: the master weights come out identical.
        Workbench.Seed(config.Seed);
        _model = new TinyGpt(model).to(device);
        if (_mode == PrecisionMode.Bf16) _model.to(ScalarType.BFloat16);
        if (_mode is PrecisionMode.Bf16Mixed or PrecisionMode.Fp16Mixed)
        {
            _copy = new TinyGpt(model).to(device).to(_mode == PrecisionMode.Bf16Mixed ? ScalarType.BFloat16 : ScalarType.Float16);
            foreach (var p in _copy.parameters()) p.requires_grad = true;
        }
        _master = _model.parameters().ToArray();
        _compute = (_copy ?? _model).parameters().ToArray();
        _optimizer = optim.AdamW(
            [
                new AdamW.ParamGroup(_master.Where(p => p.dim() >= 2), lr: config.LearningRate, beta1: config.Beta1, beta2: config.Beta2, weight_decay: config.WeightDecay),
                new AdamW.ParamGroup(_master.Where(p => p.dim() < 2), lr: config.LearningRate, beta1: config.Beta1, beta2: config.Beta2, weight_decay: 0.0),
            ],
            lr: config.LearningRate, beta1: config.Beta1, beta2: config.Beta2);
        _batches = batches;
        TokensPerStep = (long)config.BatchSize * model.BlockSize;
    }

    /// <summary>Input tokens per step: B x T.</summary>
    public long TokensPerStep { get; }

    /// <summary>The weights the optimizer updates.</summary>
    internal TinyGpt Model => _model;

    /// <summary>One step: refresh the copy, forward, mean cross-entropy, backward, gradients to float32, clip, step, zero. Returns the loss.</summary>
    public double Step()
    {
        using var scope = NewDisposeScope();
        var batch = _batches.Next(_device);
        if (_copy is not null)
            using (no_grad())
                for (var i = 0; i < _master.Length; i++) _compute[i].copy_(_master[i]);

        var logits = (_copy ?? _model).call(batch.Inputs);                                          // (B, T, V)
        var loss = F.cross_entropy(logits.to(ScalarType.Float32).view(-1, logits.shape[2]), batch.Targets.view(-1)); // ()
        (_lossScale == 1.0 ? loss : loss * _lossScale).backward();

        var finite = true;
        if (_copy is not null)
        {
            using (no_grad())
                for (var i = 0; i < _master.Length; i++)
                {
                    var g = _compute[i].grad!.to(ScalarType.Float32);
                    _master[i].grad = _lossScale == 1.0 ? g : g.div_(_lossScale);
                }
            if (_mode == PrecisionMode.Fp16Mixed)
                finite = HostRead.Long(stack(_master.Select(p => p.grad!.isfinite().all()).ToArray()).all()) == 1;
        }
        if (finite)
        {
            if (_clip > 0) nn.utils.clip_grad_norm_(_master, _clip);
            foreach (var group in _optimizer.ParamGroups) group.LearningRate = _schedule.At(_updates);
            _optimizer.step();
            _updates++;
        }
        _optimizer.zero_grad();
        _copy?.zero_grad();
        return HostRead.Double(loss);
    }

    /// <summary>Frees the optimizer state and both models.</summary>
    public void Dispose()
    {
        _optimizer.Dispose();
        _copy?.Dispose();
        _model.Dispose();
    }
}

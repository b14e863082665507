using System.Diagnostics;
using NotebookKit.Data;
using NotebookKit.Faults;
using NotebookKit.Model;
using NotebookKit.Precision;
using NotebookKit.Runtime;
using NotebookKit.Telemetry;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace NotebookKit.Training;

/// <summary>Token ids to train on and to validate on.</summary>
/// <param name="Train">The training stream.</param>
/// <param name="Validation">The held-out stream, never trained on.</param>
public sealed record TokenSplit(int[] Train, int[] Validation);

/// <summary>
/// Trains a <see cref="TinyGpt"/> on a token stream. <see cref="Step"/> is one optimizer step,
/// written top to bottom in the order the operations run.
/// </summary>
public sealed class Trainer : IDisposable
{
    readonly PrecisionPlan _precision;
    readonly WindowSampler[] _samplers;
    readonly int[] _validation;
    readonly Device _device;
    readonly double _peakFlops;

    /// <summary>Builds the model, optimizer and samplers; everything random is seeded from <see cref="TrainConfig.Seed"/>.</summary>
    /// <param name="model">The model's shape; its vocabulary must cover every id in <paramref name="data"/>.</param>
    /// <param name="config">How to train.</param>
    /// <param name="data">Training and validation token ids.</param>
    /// <param name="device">Where to train; null picks CUDA when available, else CPU.</param>
    /// <param name="name">The run's name in charts and logs.</param>
    /// <param name="entropyFloor">The data's entropy floor in nats per token, drawn on the loss panel when known.</param>
    public Trainer(ModelConfig model, TrainConfig config, TokenSplit data, Device? device = null, string name = "run", double? entropyFloor = null)
    {
        ModelConfig = model.Validate();
        Config = config.Validate();
        _device = device ?? Workbench.ChooseDevice();
        _validation = data.Validation;
        if (data.Validation.Length < model.BlockSize + 1)
            throw new ArgumentException($"validation data ({data.Validation.Length} tokens) is shorter than one window of block size {model.BlockSize} + 1: use a smaller block or more data");

        Workbench.Seed(config.Seed);
        Model = new TinyGpt(model).to(_device);
        _precision = new PrecisionPlan(Model, () => new TinyGpt(model).to(_device), config.Precision, config.InitialLossScale, config.LossScaleGrowthInterval);
        // Weight decay shrinks matrices (embeddings, projections) only; biases and LayerNorm gains keep their scale.
        var groups = new[]
        {
            new AdamW.ParamGroup(_precision.MasterParameters.Where(p => p.dim() >= 2), weight_decay: config.WeightDecay),
            new AdamW.ParamGroup(_precision.MasterParameters.Where(p => p.dim() < 2), weight_decay: 0.0),
        };
        Optimizer = optim.AdamW(groups, lr: config.LearningRate, beta1: config.Beta1, beta2: config.Beta2);
        _samplers = Enumerable.Range(0, config.Ranks)
            .Select(rank => config.Fault == LoopFault.RepeatedShards
                ? new WindowSampler(data.Train, model.BlockSize, config.BatchSize, config.Seed, rank: 0, worldSize: config.Ranks)
                : new WindowSampler(data.Train, model.BlockSize, config.BatchSize, config.Seed, rank, config.Ranks))
            .ToArray();
        _peakFlops = MatmulPeak.Gflops(_device) * 1e9;
        Log = new RunLog(name, config.ClipNorm > 0 ? config.ClipNorm : null, entropyFloor);
    }

    /// <summary>The model being trained (float32 masters in mixed precision).</summary>
    public TinyGpt Model { get; }

    /// <summary>The model's shape.</summary>
    public ModelConfig ModelConfig { get; }

    /// <summary>How this run trains.</summary>
    public TrainConfig Config { get; }

    /// <summary>AdamW over the master weights: decay on matrices, none on biases and LayerNorms.</summary>
    public AdamW Optimizer { get; }

    /// <summary>Precision mode, loss scale and the compute copy.</summary>
    public PrecisionPlan Precision => _precision;

    /// <summary>One sampler per simulated rank; their states are the data position.</summary>
    public IReadOnlyList<WindowSampler> Samplers => _samplers;

    /// <summary>Every step recorded so far.</summary>
    public RunLog Log { get; }

    /// <summary>Loop steps taken (skipped steps included).</summary>
    public int StepCount { get; internal set; }

    /// <summary>Optimizer updates made (skipped steps excluded).</summary>
    public int OptimizerSteps { get; internal set; }

    /// <summary>Position of the learning-rate schedule: optimizer steps, or microbatches under <see cref="LoopFault.SchedulerPerMicrobatch"/>.</summary>
    public long SchedulerPosition { get; internal set; }

    /// <summary>Tokens processed so far (every input position of every microbatch).</summary>
    public long TokensSeen { get; internal set; }

    /// <summary>
    /// One optimizer step: for every microbatch, forward, loss and scaled backward; then carry the
    /// gradients to the masters, clip, set the learning rate, step, zero the gradients, record.
    /// </summary>
    public StepRecord Step()
    {
        using var scope = NewDisposeScope();
        var clock = Stopwatch.StartNew();
        var fault = Config.Fault;
        Model.train();
        _precision.Compute.train();
        _precision.RefreshCompute();

        // Draw the step's microbatches first: the loss is normalised by the target tokens of the whole step.
        var microbatches = Enumerable.Range(0, Config.Accumulation)
            .SelectMany(_ => _samplers.Select(s => s.Next(_device)))
            .ToArray();
        var stepTargets = microbatches.Sum(b => b.CountedTokens());

        // Forward, loss, scaled backward for each microbatch; gradients add up in .grad.
        var lossTotal = zeros(1, dtype: ScalarType.Float64, device: _device);
        foreach (var batch in microbatches)
        {
            var targets = fault == LoopFault.LabelsNotShifted ? batch.Inputs : batch.Targets;                  // (B, T)
            var logits = _precision.Compute.call(batch.Inputs);                                                // (B, T, V)
            var loss = StepLoss.ForBackward(StepLoss.Sum(logits, targets), batch.CountedTokens(), stepTargets, microbatches.Length, fault);
            _precision.Scale(loss).backward();
            lossTotal.add_(loss.detach());
            if (fault == LoopFault.SchedulerPerMicrobatch) SchedulerPosition++;
        }

        // Gradients to float32 masters, unscaled; an fp16 overflow makes them inf and the step is skipped.
        var finite = _precision.GradientsToMaster();

        // Clip by global norm; the norm before clipping is what the timeline shows.
        var parameters = _precision.MasterParameters;
        var gradNorm = finite ? nn.utils.clip_grad_norm_(parameters, Config.ClipNorm > 0 ? Config.ClipNorm : double.PositiveInfinity) : double.NaN;
        if (fault == LoopFault.ZeroGradBeforeStep) ZeroGrad();

        // Learning rate from the schedule, then the update: skipped entirely on overflow.
        var lr = Config.Schedule.At(SchedulerPosition);
        foreach (var group in Optimizer.ParamGroups) group.LearningRate = lr;
        var gradNormAtStep = finite ? GlobalNorm(parameters) : double.NaN;
        if (finite)
        {
            Optimizer.step();
            OptimizerSteps++;
            if (fault != LoopFault.SchedulerPerMicrobatch) SchedulerPosition++;
        }
        _precision.AfterStep(finite);

        // Zero the gradients for the next step.
        if (fault is not (LoopFault.GradientsNeverZeroed or LoopFault.ZeroGradBeforeStep)) ZeroGrad();

        // Record.
        StepCount++;
        var tokens = microbatches.Sum(b => b.Inputs.numel());
        TokensSeen += tokens;
        var seconds = clock.Elapsed.TotalSeconds;
        var tokensPerSecond = tokens / seconds;
        var record = new StepRecord(
            Step: StepCount,
            Tokens: TokensSeen,
            Loss: lossTotal.item<double>(),
            ValLoss: StepCount % Config.EvalEvery == 0 || StepCount == Config.MaxIters ? Evaluate() : null,
            LearningRate: lr,
            GradNorm: gradNorm,
            Clipped: Config.ClipNorm > 0 && gradNorm > Config.ClipNorm,
            TokensPerSecond: tokensPerSecond,
            Mfu: ModelConfig.FlopsPerToken * tokensPerSecond / _peakFlops,
            Skipped: !finite && fault != LoopFault.UncountedSkips,
            OptimizerStep: OptimizerSteps,
            GradNormAtStep: gradNormAtStep,
            LossScale: _precision.LossScale);
        Log.Add(record);
        return record;
    }

    /// <summary>
    /// Mean validation loss over <see cref="TrainConfig.EvalIters"/> batches: eval mode (no dropout),
    /// no gradients, the same batches every time, then back to training mode.
    /// </summary>
    public double Evaluate()
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var model = _precision.Compute;
        if (Config.Fault != LoopFault.EvalInTrainMode) model.eval();
        _precision.RefreshCompute();
        var sampler = new WindowSampler(_validation, ModelConfig.BlockSize, Config.BatchSize, Config.Seed + 1);
        var total = 0.0;
        for (var i = 0; i < Config.EvalIters; i++)
        {
            using var batch = sampler.Next(_device);
            var logits = model.call(batch.Inputs);                                                             // (B, T, V)
            total += StepLoss.Sum(logits, batch.Targets).item<float>() / batch.CountedTokens();
        }
        model.train();
        return total / Config.EvalIters;
    }

    /// <summary>Runs steps until <see cref="TrainConfig.MaxIters"/> (or <paramref name="steps"/> more), calling <paramref name="onStep"/> after each.</summary>
    public RunLog Train(int? steps = null, Action<StepRecord>? onStep = null)
    {
        var end = steps is { } n ? StepCount + n : Config.MaxIters;
        while (StepCount < end)
        {
            var record = Step();
            onStep?.Invoke(record);
        }
        return Log;
    }

    void ZeroGrad()
    {
        Optimizer.zero_grad();
        _precision.ZeroGrad();
    }

    static double GlobalNorm(IReadOnlyList<Parameter> parameters)
    {
        var norms = parameters.Select(p => p.grad).OfType<Tensor>().Select(g => g.norm()).ToArray();
        if (norms.Length == 0) return 0;
        return stack(norms).norm().to_type(ScalarType.Float32).item<float>();
    }

    /// <summary>Frees the model copy, the optimizer state and the model.</summary>
    public void Dispose()
    {
        _precision.Dispose();
        Optimizer.Dispose();
        Model.Dispose();
    }
}

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

/// <summary>Prompt/response pairs to fine-tune on and to validate on.</summary>
/// <param name="Train">The pairs trained on.</param>
/// <param name="Validation">Held-out pairs; their validation loss counts response tokens only.</param>
public sealed record SftSplit(IReadOnlyList<SftExample> Train, IReadOnlyList<SftExample> Validation)
{
    /// <summary>Holds out the last <paramref name="heldOut"/> of <paramref name="examples"/> (10% by default, as for text), keeping order.</summary>
    /// <exception cref="ArgumentException">Too few pairs to leave at least one on each side.</exception>
    public static SftSplit Of(IReadOnlyList<SftExample> examples, double heldOut = 0.1)
    {
        var cut = (int)Math.Round(examples.Count * (1 - heldOut));
        if (cut < 1 || cut >= examples.Count)
            throw new ArgumentException($"{examples.Count} SFT pairs are too few to hold out {heldOut:P0} for validation: use at least {(int)Math.Ceiling(2 / Math.Min(heldOut, 1 - heldOut))} pairs");
        return new SftSplit(examples.Take(cut).ToArray(), examples.Skip(cut).ToArray());
    }
}

/// <summary>
/// Trains a <see cref="TinyGpt"/> on a token stream. <see cref="Step"/> is one optimizer step,
/// written top to bottom in the order the operations run.
/// </summary>
public sealed class Trainer : IDisposable
{
    readonly PrecisionPlan _precision;
    readonly IBatchSource[] _sources;
    readonly IBatchSource _validation;
    readonly SamplerState _validationStart;
    readonly Device _device;
    readonly double _peakFlops;

    /// <summary>Trains on random windows of a token stream; everything random is seeded from <see cref="TrainConfig.Seed"/>.</summary>
    /// <param name="model">The model's shape; its vocabulary must cover every id in <paramref name="data"/>.</param>
    /// <param name="config">How to train.</param>
    /// <param name="data">Training and validation token ids. With several ranks each draws from its own shard of the training stream.</param>
    /// <param name="device">Where to train; null picks CUDA when available, else CPU.</param>
    /// <param name="name">The run's name in charts and logs.</param>
    /// <param name="entropyFloor">The data's entropy floor in nats per token, drawn on the loss panel when known.</param>
    public Trainer(ModelConfig model, TrainConfig config, TokenSplit data, Device? device = null, string name = "run", double? entropyFloor = null)
        : this(model, config, rank => new WindowSampler(data.Train, model.BlockSize, config.BatchSize, config.Seed, rank, config.Ranks),
            ValidationWindows(model, config, data), device, name, entropyFloor)
    {
    }

    /// <summary>
    /// Fine-tunes on prompt/response pairs: only response tokens count in the loss, in training and in validation.
    /// Pairs are not sharded: with several ranks each samples all of them with its own seed (the seed plus its rank).
    /// </summary>
    /// <param name="model">The model's shape; its vocabulary must cover every character of the pairs.</param>
    /// <param name="config">How to train. <see cref="LoopFault.SftMaskInverted"/> flips the training pairs' masks, never the validation pairs'.</param>
    /// <param name="data">Training and validation pairs.</param>
    /// <param name="encode">The tokenizer, e.g. <c>CharTokenizer.Encode</c>.</param>
    /// <param name="device">Where to train; null picks CUDA when available, else CPU.</param>
    /// <param name="name">The run's name in charts and logs.</param>
    public Trainer(ModelConfig model, TrainConfig config, SftSplit data, Func<string, int[]> encode, Device? device = null, string name = "run")
        : this(model, config,
            rank => new SftBatcher(data.Train, encode, model.BlockSize, config.BatchSize, config.Seed + rank, invertMask: config.Fault == LoopFault.SftMaskInverted),
            new SftBatcher(data.Validation, encode, model.BlockSize, config.BatchSize, config.Seed + 1), device, name)
    {
    }

    /// <summary>
    /// Trains on batches from any <see cref="IBatchSource"/>, one per simulated rank. Ranks are simulated in one
    /// process: every rank's microbatches run through the one model and their token-normalised gradients add up in
    /// .grad, which is exactly the all-reduced gradient of identical replicas.
    /// </summary>
    /// <param name="model">The model's shape; its vocabulary must cover every id the sources produce.</param>
    /// <param name="config">How to train.</param>
    /// <param name="trainSource">Builds rank r's training source. Under <see cref="LoopFault.RepeatedShards"/> every rank gets rank 0's.</param>
    /// <param name="validation">Held-out batches; rewound before every evaluation so each evaluation sees the same batches.</param>
    /// <param name="device">Where to train; null picks CUDA when available, else CPU.</param>
    /// <param name="name">The run's name in charts and logs.</param>
    /// <param name="entropyFloor">The data's entropy floor in nats per token, drawn on the loss panel when known.</param>
    public Trainer(ModelConfig model, TrainConfig config, Func<int, IBatchSource> trainSource, IBatchSource validation, Device? device = null, string name = "run", double? entropyFloor = null)
    {
        ModelConfig = model.Validate();
        Config = config.Validate();
        _device = device ?? Workbench.ChooseDevice();
        _validation = validation;
        _validationStart = validation.State;

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
        _sources = Enumerable.Range(0, config.Ranks)
            .Select(rank => trainSource(config.Fault == LoopFault.RepeatedShards ? 0 : rank))
            .ToArray();
        _peakFlops = MatmulPeak.Gflops(_device, PrecisionPlan.ComputeType(config.Precision)) * 1e9;
        Log = new RunLog(name, config.ClipNorm > 0 ? config.ClipNorm : null, entropyFloor);
    }

    static WindowSampler ValidationWindows(ModelConfig model, TrainConfig config, TokenSplit data)
    {
        // Ids are inputs and targets: an id past the vocabulary would fail as a native index error in the embedding or the loss.
        CheckVocabulary(data.Train, model.VocabSize, "training");
        CheckVocabulary(data.Validation, model.VocabSize, "validation");
        if (data.Validation.Length < model.BlockSize + 1)
            throw new ArgumentException($"validation data ({data.Validation.Length} tokens) is shorter than one window of block size {model.BlockSize} + 1: use a smaller block or more data");
        return new WindowSampler(data.Validation, model.BlockSize, config.BatchSize, config.Seed + 1);
    }

    static void CheckVocabulary(int[] ids, int vocabSize, string what)
    {
        var at = Array.FindIndex(ids, id => id < 0 || id >= vocabSize);
        if (at >= 0)
            throw new ArgumentException($"{what} token {at} has id {ids[at]}, outside the model's vocabulary 0..{vocabSize - 1}: build the model with the tokenizer's VocabSize and encode the data with that tokenizer");
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

    /// <summary>One batch source per simulated rank; their states are the data position.</summary>
    public IReadOnlyList<IBatchSource> Samplers => _sources;

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
        // Whatever gradient is already in .grad would be added to this step's: the previous step should have left none.
        var staleGradNorm = GlobalNorm(_precision.Compute.parameters());

        // Draw the step's microbatches first, every rank's: the loss is normalised by the target tokens of the whole step.
        var keysPerRank = _sources.Select(_ => new List<long>()).ToArray();
        var microbatches = new List<Batch>();
        for (var i = 0; i < Config.Accumulation; i++)
            for (var rank = 0; rank < _sources.Length; rank++)
            {
                keysPerRank[rank].AddRange(_sources[rank].PeekKeys());
                microbatches.Add(_sources[rank].Next(_device));
            }
        var stepTargets = microbatches.Sum(b => b.CountedTokens());

        // Forward, loss, scaled backward for each microbatch; gradients add up in .grad (the all-reduce of simulated ranks).
        var lossTotal = zeros(1, dtype: ScalarType.Float64, device: _device);
        var lossSumTotal = zeros(1, dtype: ScalarType.Float64, device: _device);
        for (var i = 0; i < microbatches.Count; i++)
        {
            var batch = microbatches[i];
            var targets = fault == LoopFault.LabelsNotShifted ? batch.Inputs : batch.Targets;                  // (B, T)
            var logits = _precision.Compute.call(batch.Inputs);                                                // (B, T, V)
            var lossSum = StepLoss.Sum(logits, targets);                                                       // ()
            var loss = StepLoss.ForBackward(lossSum, batch.CountedTokens(), stepTargets, Config.Accumulation, Config.Ranks, fault);
            _precision.Scale(loss).backward();
            lossTotal.add_(loss.detach());
            lossSumTotal.add_(lossSum.detach());
            // Each rank's own scheduler would advance once per its microbatch: accumulation times per step.
            if (fault == LoopFault.SchedulerPerMicrobatch && i % _sources.Length == 0) SchedulerPosition++;
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
        var lossScale = _precision.LossScale;
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
        var evaluate = StepCount % Config.EvalEvery == 0 || StepCount == Config.MaxIters;
        TokensSeen += tokens;
        var seconds = clock.Elapsed.TotalSeconds;
        var tokensPerSecond = tokens / seconds;
        var record = new StepRecord(
            Step: StepCount,
            Tokens: TokensSeen,
            Loss: lossTotal.item<double>(),
            ValLoss: evaluate ? Evaluate() : null,
            LearningRate: lr,
            GradNorm: gradNorm,
            Clipped: Config.ClipNorm > 0 && gradNorm > Config.ClipNorm,
            TokensPerSecond: tokensPerSecond,
            Mfu: ModelConfig.FlopsPerToken * tokensPerSecond / _peakFlops,
            Skipped: !finite && fault != LoopFault.UncountedSkips,
            OptimizerStep: OptimizerSteps,
            GradNormAtStep: gradNormAtStep,
            LossScale: lossScale,
            TokenMeanLoss: lossSumTotal.item<double>() / stepTargets,
            ValLossRepeat: evaluate ? Evaluate() : null,
            RankOverlap: DataTrace.RankOverlap(keysPerRank),
            BatchFingerprint: DataTrace.Fingerprint(keysPerRank.SelectMany(keys => keys)),
            StaleGradNorm: staleGradNorm);
        Log.Add(record);
        return record;
    }

    /// <summary>
    /// Mean validation loss per counted target token over <see cref="TrainConfig.EvalIters"/> batches: eval mode (no dropout),
    /// no gradients, the same batches every time, then back to training mode. Every evaluating step runs
    /// it twice (<see cref="StepRecord.ValLossRepeat"/>): a healthy evaluation gives the same number both times.
    /// </summary>
    public double Evaluate()
    {
        var (sum, count) = EvaluatePositions();
        return sum.Sum() / count.Sum();
    }

    /// <summary>
    /// Mean validation loss at each position t of the window, on the same batches as <see cref="Evaluate"/>.
    /// Position t has t + 1 tokens of context, so early positions pay more: the corpus's entropy floor
    /// assumes a full context and is approached only by the later positions.
    /// </summary>
    public double[] EvaluateByPosition()
    {
        var (sum, count) = EvaluatePositions();
        return sum.Zip(count, (s, c) => c > 0 ? s / c : double.NaN).ToArray();
    }

    /// <summary>
    /// Mean loss per token over a whole stream, every token predicted with nearly a full window of context. Windows of
    /// the block size start every <paramref name="stride"/> tokens and each counts only the targets no earlier window
    /// counted, so every token past the first window sees at least block - stride tokens before it. An entropy floor
    /// assumes full context, so this, not <see cref="Evaluate"/>, is the loss to hold against it: <see cref="Evaluate"/>
    /// averages every position of random windows, and the first positions of a window see only a few tokens.
    /// Eval mode and no gradients, as <see cref="Evaluate"/>.
    /// </summary>
    /// <param name="tokens">The stream to score, e.g. the validation split; at least one window plus one token long.</param>
    /// <param name="stride">Tokens between window starts, 1 to the block size: smaller means more context and block / stride forward
    /// passes per token. Default: a quarter of the block, so every token past the first window sees at least three quarters of it.</param>
    /// <exception cref="ArgumentException">The stride is outside 1..block, or the stream is shorter than a window.</exception>
    public double EvaluateFullContext(int[] tokens, int? stride = null)
    {
        var block = ModelConfig.BlockSize;
        var step = stride ?? Math.Max(1, block / 4);
        if (step < 1 || step > block) throw new ArgumentException($"stride {step} must be between 1 and the block size {block}");
        if (tokens.Length < block + 1) throw new ArgumentException($"{tokens.Length} tokens are fewer than one window of block size {block} + 1");
        CheckVocabulary(tokens, ModelConfig.VocabSize, "scored");
        var starts = Enumerable.Range(0, (tokens.Length - 1 - block) / step + 1).Select(i => i * step).ToList();
        if (starts[^1] + block < tokens.Length - 1) starts.Add(tokens.Length - 1 - block); // the tail the regular windows miss

        using var _ = no_grad();
        var model = _precision.Compute;
        model.eval();
        try
        {
            return ScoreWindows(model, tokens, starts, block) / (tokens.Length - 1);
        }
        finally
        {
            model.train(); // also when scoring throws, so the next step does not train without dropout
        }
    }

    /// <summary>Summed loss of every stream target, each counted once, from the windows starting at <paramref name="starts"/>.</summary>
    double ScoreWindows(nn.Module<Tensor, Tensor> model, int[] tokens, List<int> starts, int block)
    {
        _precision.RefreshCompute();
        double sum = 0;
        var scoredUpTo = 0; // targets 1..scoredUpTo of the stream are counted
        foreach (var chunk in starts.Chunk(32))
        {
            using var scope = NewDisposeScope();
            var inputs = new long[chunk.Length * block];
            var targets = new long[chunk.Length * block];
            for (var w = 0; w < chunk.Length; w++)
                for (var t = 0; t < block; t++)
                    (inputs[w * block + t], targets[w * block + t]) = (tokens[chunk[w] + t], tokens[chunk[w] + t + 1]);
            var logits = model.call(tensor(inputs, [chunk.Length, block], device: _device));                       // (W, T, V)
            var losses = StepLoss.PerPosition(logits, tensor(targets, [chunk.Length, block], device: _device))
                .to(ScalarType.Float64).cpu().data<double>();                                                   // (W, T)
            for (var w = 0; w < chunk.Length; w++)
            {
                // Position t of the window starting at s predicts token s + t + 1.
                var firstNew = scoredUpTo - chunk[w];
                for (var t = Math.Max(0, firstNew); t < block; t++) sum += losses[w * block + t];
                scoredUpTo = chunk[w] + block;
            }
        }
        return sum;
    }

    /// <summary>Summed loss and counted target tokens per position over the validation batches.</summary>
    (double[] Sum, long[] Count) EvaluatePositions()
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var model = _precision.Compute;
        if (Config.Fault != LoopFault.EvalInTrainMode) model.eval();
        try
        {
            return SumPositions(model);
        }
        finally
        {
            model.train(); // also when a batch throws, so the next step does not train without dropout
        }
    }

    /// <summary>The body of <see cref="EvaluatePositions"/>, in whatever mode the model is in.</summary>
    (double[] Sum, long[] Count) SumPositions(nn.Module<Tensor, Tensor> model)
    {
        _precision.RefreshCompute();
        _validation.Restore(_validationStart);
        var sum = new double[ModelConfig.BlockSize];
        var count = new long[ModelConfig.BlockSize];
        for (var i = 0; i < Config.EvalIters; i++)
        {
            // A scope per batch: one scope around the loop would hold every batch's activations until the end (540 MiB for the default model).
            using var batchScope = NewDisposeScope();
            using var batch = _validation.Next(_device);
            var logits = model.call(batch.Inputs);                                                             // (B, T, V)
            var losses = StepLoss.PerPosition(logits, batch.Targets).sum(dim: 0).to(ScalarType.Float64).cpu();  // (T)
            var counted = batch.Targets.ne(Batch.IgnoreIndex).sum(dim: 0).cpu();                                        // (T)
            var (l, c) = (losses.data<double>(), counted.data<long>());
            for (var t = 0; t < l.Count; t++)
            {
                sum[t] += l[t];
                count[t] += c[t];
            }
        }
        return (sum, count);
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

    // The plan zeroes every gradient the optimizer could see (the masters' too), so the optimizer's own zero_grad would only repeat it.
    void ZeroGrad() => _precision.ZeroGrad();

    static double GlobalNorm(IEnumerable<Parameter> parameters)
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

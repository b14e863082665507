using System.Diagnostics;
using NotebookKit.Data;
using NotebookKit.Model;
using NotebookKit.Precision;
using NotebookKit.Runtime;
using NotebookKit.Telemetry;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace NotebookKit.Training;

/// <summary>
/// Trains a <see cref="TinyGpt"/> on a token stream. <see cref="Step"/> is one optimizer step, the healthy loop
/// written top to bottom in the order the operations run. The lines marked <c>// fault:</c> are the broken loops
/// of <see cref="LoopFault"/>, each at the place it breaks; deleting them all leaves the healthy loop.
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
            rank => new SftBatcher(data.Train, encode, model.BlockSize, config.BatchSize, config.Seed + rank,
                invertMask: config.Fault == LoopFault.SftMaskInverted),                             // fault: the prompt is learned, the response masked
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
        // Each group names its betas: a TorchSharp ParamGroup fills in 0.9 and 0.999 itself, overriding the optimizer's.
        var groups = new[]
        {
            new AdamW.ParamGroup(_precision.MasterParameters.Where(p => p.dim() >= 2), lr: config.LearningRate, beta1: config.Beta1, beta2: config.Beta2, weight_decay: config.WeightDecay),
            new AdamW.ParamGroup(_precision.MasterParameters.Where(p => p.dim() < 2), lr: config.LearningRate, beta1: config.Beta1, beta2: config.Beta2, weight_decay: 0.0),
        };
        Optimizer = new HeldScalarAdamW(groups, config.LearningRate, config.Beta1, config.Beta2, _precision.MasterWeights, _precision.MasterGradients);
        _sources = new IBatchSource[config.Ranks];
        for (var rank = 0; rank < config.Ranks; rank++)
        {
            var shard = rank;
            if (config.Fault == LoopFault.RepeatedShards) shard = 0;                                 // fault: every rank reads rank 0's shard
            _sources[rank] = trainSource(shard);
        }
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

    /// <summary>Position of the learning-rate schedule: the optimizer steps it has counted (0 again after a resume that did not restore it).</summary>
    public long SchedulerPosition { get; internal set; }

    /// <summary>Tokens processed so far (every input position of every microbatch).</summary>
    public long TokensSeen { get; internal set; }

    /// <summary>
    /// One optimizer step, in the order it runs: draw the step's microbatches; forward, loss and backward for each;
    /// carry the gradients to the masters, unscaled; clip; set the learning rate; step; zero the gradients; record;
    /// and every <see cref="TrainConfig.EvalEvery"/> steps, evaluate.
    /// </summary>
    public StepRecord Step()
    {
        using var scope = NewDisposeScope();
        var clock = Stopwatch.StartNew();
        var fault = Config.Fault;
        var model = _precision.Compute;
        Model.train();
        model.train();
        _precision.RefreshCompute();
        // For the doctor: whatever is already in .grad would be added to this step's gradient. The last step left none.
        var staleGradNorm = _precision.ComputeGradients.norm();                                            // ()

        // Draw the step's microbatches first, every rank's: the loss is normalised by the target tokens of the whole step.
        var keysPerRank = _sources.Select(_ => new List<long>()).ToArray();
        var microbatches = new List<Batch>();
        for (var i = 0; i < Config.Accumulation; i++)
            for (var rank = 0; rank < _sources.Length; rank++)
            {
                keysPerRank[rank].AddRange(_sources[rank].PeekKeys());
                microbatches.Add(_sources[rank].Next(_device));
            }
        var stepTargets = microbatches.Sum(b => b.CountedTokens());                                        // counted on the host by the sources

        // Forward, loss and backward for each microbatch; gradients add up in .grad (the all-reduce of simulated ranks).
        var lossTotal = zeros(1, dtype: ScalarType.Float64, device: _device);
        var lossSumTotal = zeros(1, dtype: ScalarType.Float64, device: _device);
        foreach (var batch in microbatches)
        {
            var targets = batch.Targets;                                                                       // (B, T)
            if (fault == LoopFault.LabelsNotShifted) targets = batch.Inputs;                                    // fault: the model learns to copy its input
            var logits = model.call(batch.Inputs);                                                             // (B, T, V)
            var lossSum = StepLoss.Sum(logits, targets);                                                       // ()
            var loss = lossSum.Over(stepTargets);                                                              // ()
            if (fault == LoopFault.AccumulationNotDivided) loss = lossSum.Over(batch.CountedTokens()).Over(Config.Ranks);  // fault: each microbatch's mean, undivided
            if (fault == LoopFault.MeanOfMicrobatchMeans) loss = lossSum.Over(batch.CountedTokens()).Over(microbatches.Count);  // fault: a mean of microbatch means
            _precision.Scale(loss).backward();
            lossTotal.PlusInPlace(loss.detach());
            lossSumTotal.PlusInPlace(lossSum.detach());
        }

        // Gradients to float32 masters, unscaled; an fp16 overflow makes them inf and the step is skipped.
        var finite = _precision.GradientsToMaster();

        // Clip by global norm; the norm before clipping is what the timeline shows.
        var grads = _precision.MasterGradients;                                                            // every gradient, flat
        var gradNorm = grads.norm();                                                                       // ()
        if (finite && Config.ClipNorm > 0) Clip(grads, gradNorm, Config.ClipNorm);

        // Learning rate from the schedule.
        var lr = Config.Schedule.At(SchedulerPosition);
        if (fault == LoopFault.SchedulerPerMicrobatch) lr = Config.Schedule.At((SchedulerPosition + 1) * Config.Accumulation);  // fault: the schedule counted every microbatch so far
        foreach (var group in Optimizer.ParamGroups) group.LearningRate = lr;

        // The update, skipped entirely on overflow.
        if (fault == LoopFault.ZeroGradBeforeStep) ZeroGrad();                                             // fault: zero_grad before the step, which then sees no gradient
        var gradNormAtStep = grads.norm();                                                                 // () for the doctor
        var lossScale = _precision.LossScale;
        if (finite)
        {
            Optimizer.step();
            OptimizerSteps++;
            SchedulerPosition++;
        }
        _precision.AfterStep(finite);

        // zero_grad: the next step starts from clean gradients.
        if (fault != LoopFault.GradientsNeverZeroed)                                                       // fault: the line below never runs
            ZeroGrad();

        // Record: the step's numbers come to the host in one read, the only wait for the device in the step.
        StepCount++;
        var tokens = microbatches.Sum(b => b.Inputs.numel());
        TokensSeen += tokens;
        var read = HostRead.Doubles(cat([lossTotal, lossSumTotal, Scalar(gradNorm), Scalar(gradNormAtStep), Scalar(staleGradNorm)]));
        var (stepLoss, stepLossSum) = (read[0], read[1]);
        var (norm, normAtStep) = finite ? (read[2], read[3]) : (double.NaN, double.NaN);
        var skipped = !finite;
        if (fault == LoopFault.UncountedSkips) skipped = false;                                             // fault: the timeline hides skipped steps
        var tokensPerSecond = tokens / clock.Elapsed.TotalSeconds;
        var record = new StepRecord(
            Step: StepCount,
            Tokens: TokensSeen,
            Loss: stepLoss,
            ValLoss: null,
            LearningRate: lr,
            GradNorm: norm,
            Clipped: Config.ClipNorm > 0 && norm > Config.ClipNorm,
            TokensPerSecond: tokensPerSecond,
            Mfu: ModelConfig.FlopsPerToken * tokensPerSecond / _peakFlops,
            Skipped: skipped,
            OptimizerStep: OptimizerSteps,
            GradNormAtStep: normAtStep,
            LossScale: lossScale,
            TokenMeanLoss: stepLossSum / stepTargets,
            RankOverlap: DataTrace.RankOverlap(keysPerRank),
            BatchFingerprint: DataTrace.Fingerprint(keysPerRank.SelectMany(keys => keys)),
            StaleGradNorm: read[4]);

        // Evaluate every EvalEvery steps and after the last, on the same held-out batches each time. With dropout, the
        // doctor also gets a second evaluation of the same weights: in eval mode the two agree exactly.
        if (StepCount % Config.EvalEvery == 0 || StepCount == Config.MaxIters)
        {
            record = record with { ValLoss = Evaluate() };
            if (ModelConfig.Dropout > 0) record = record with { ValLossRepeat = Evaluate() };               // for the doctor
        }
        Log.Add(record);
        return record;
    }

    /// <summary>
    /// Mean validation loss per counted target token over <see cref="TrainConfig.EvalIters"/> batches: eval mode (no dropout),
    /// no gradients, the same batches every time, then back to training mode. A model with dropout is evaluated twice by
    /// every evaluating step (<see cref="StepRecord.ValLossRepeat"/>): a healthy evaluation gives the same number both times.
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
    /// Mean loss per token over a whole stream, every token predicted with nearly a full window of context: the mean of
    /// <see cref="FullContextLosses"/>. An entropy floor assumes full context, so this, not <see cref="Evaluate"/>, is the
    /// loss to hold against it: <see cref="Evaluate"/> averages every position of random windows, and the first positions
    /// of a window see only a few tokens.
    /// </summary>
    /// <inheritdoc cref="FullContextLosses"/>
    public double EvaluateFullContext(int[] tokens, int? stride = null) => FullContextLosses(tokens, stride).Average();

    /// <summary>
    /// The loss of every token of a stream after the first, in order: element i is -ln p(token i + 1). Windows of the block
    /// size start every <paramref name="stride"/> tokens and each scores only the targets no earlier window scored, so
    /// every token past the first window sees at least block - stride tokens before it. Eval mode and no gradients, as
    /// <see cref="Evaluate"/>.
    /// </summary>
    /// <param name="tokens">The stream to score, e.g. the validation split; at least one window plus one token long.</param>
    /// <param name="stride">Tokens between window starts, 1 to the block size: smaller means more context and block / stride forward
    /// passes per token. Default: a quarter of the block, so every token past the first window sees at least three quarters of it.</param>
    /// <exception cref="ArgumentException">The stride is outside 1..block, or the stream is shorter than a window.</exception>
    public double[] FullContextLosses(int[] tokens, int? stride = null)
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
            return ScoreWindows(model, tokens, starts, block);
        }
        finally
        {
            model.train(); // also when scoring throws, so the next step does not train without dropout
        }
    }

    /// <summary>The loss of every stream target, each scored once, by the first of the windows starting at <paramref name="starts"/> that reaches it.</summary>
    double[] ScoreWindows(nn.Module<Tensor, Tensor> model, int[] tokens, List<int> starts, int block)
    {
        _precision.RefreshCompute();
        var scored = new double[tokens.Length - 1]; // scored[i]: the loss of token i + 1
        var scoredUpTo = 0;                         // targets 1..scoredUpTo of the stream are scored
        foreach (var chunk in starts.Chunk(32))
        {
            using var scope = NewDisposeScope();
            var inputs = new long[chunk.Length * block];
            var targets = new long[chunk.Length * block];
            for (var w = 0; w < chunk.Length; w++)
                for (var t = 0; t < block; t++)
                    (inputs[w * block + t], targets[w * block + t]) = (tokens[chunk[w] + t], tokens[chunk[w] + t + 1]);
            var logits = model.call(tensor(inputs, [chunk.Length, block], device: _device));                       // (W, T, V)
            var losses = HostRead.Doubles(StepLoss.PerPosition(logits, tensor(targets, [chunk.Length, block], device: _device)));  // (W, T)
            for (var w = 0; w < chunk.Length; w++)
            {
                // Position t of the window starting at s predicts token s + t + 1.
                var firstNew = scoredUpTo - chunk[w];
                for (var t = Math.Max(0, firstNew); t < block; t++) scored[chunk[w] + t] = losses[w * block + t];
                scoredUpTo = chunk[w] + block;
            }
        }
        return scored;
    }

    /// <summary>Summed loss and counted target tokens per position over the validation batches.</summary>
    (double[] Sum, long[] Count) EvaluatePositions()
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var model = _precision.Compute;
        model.eval();
        if (Config.Fault == LoopFault.EvalInTrainMode) model.train();                                         // fault: dropout stays on while evaluating
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
        var block = ModelConfig.BlockSize;
        var sums = zeros(block, dtype: ScalarType.Float64, device: _device);                                 // (T)
        var counts = zeros(block, dtype: ScalarType.Float64, device: _device);                               // (T)
        for (var i = 0; i < Config.EvalIters; i++)
        {
            // A scope per batch: one scope around the loop would hold every batch's activations until the end (540 MiB for the default model).
            using var batchScope = NewDisposeScope();
            using var batch = _validation.Next(_device);
            var logits = model.call(batch.Inputs);                                                             // (B, T, V)
            var T = batch.Targets.shape[1];                                                                    // prompt/response batches can be shorter than the block
            sums.narrow(0, 0, T).PlusInPlace(StepLoss.PerPosition(logits, batch.Targets).sum(dim: 0).to(ScalarType.Float64));  // (T)
            counts.narrow(0, 0, T).PlusInPlace(batch.Targets.NotEqual(Batch.IgnoreIndex).sum(dim: 0).to(ScalarType.Float64));       // (T)
        }
        var read = HostRead.Doubles(cat([sums, counts]));                                                     // one read per evaluation
        return (read[..block], Array.ConvertAll(read[block..], c => (long)c));
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

    /// <summary>
    /// Scales the gradients by min(1, max / (norm + 1e-6)), as <c>torch.nn.utils.clip_grad_norm_</c> does, but on the
    /// device: the norm is never read back, so clipping makes the step wait for nothing.
    /// </summary>
    static void Clip(Tensor grads, Tensor norm, double max)
    {
        using Scalar limit = max, most = 1.0;                                                              // held through the ops: see HeldScalars
        var denominator = norm.Plus(1e-6);                                                                 // ()
        var coefficient = full_like(denominator, limit).div_(denominator).clamp_max_(most);                // ()
        grads.mul_(coefficient);
    }

    static Tensor Scalar(Tensor value) => value.reshape(1).to(ScalarType.Float64);                       // (1)

    /// <summary>Frees the model copy, the optimizer state and the model.</summary>
    public void Dispose()
    {
        _precision.Dispose();
        Optimizer.Dispose();
        Model.Dispose();
    }
}

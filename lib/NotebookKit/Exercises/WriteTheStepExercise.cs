using NotebookKit.Data;
using NotebookKit.Faults;
using NotebookKit.Model;
using NotebookKit.Telemetry;
using NotebookKit.Training;
using static TorchSharp.torch;

namespace NotebookKit.Exercises;

/// <summary>
/// A learner's training step without accumulation: forward <paramref name="x"/> (B, T) through
/// <paramref name="model"/>, the cross-entropy against <paramref name="y"/> (B, T), backward, the optimizer's
/// step and zero_grad, in the learner's own order. Returns the loss.
/// </summary>
public delegate Tensor LearnerStep(TinyGpt model, WatchedOptimizer optimizer, Tensor x, Tensor y);

/// <summary>
/// A learner's training step with gradient accumulation: forward, loss and backward for each of
/// <paramref name="microbatches"/> (deconstruct each as <c>var (x, y)</c>), then one optimizer step, one
/// scheduler step and zero_grad. Returns the step's loss: the mean over all its target tokens.
/// </summary>
public delegate Tensor LearnerAccumulatedStep(TinyGpt model, WatchedOptimizer optimizer, WatchedScheduler scheduler, IReadOnlyList<Batch> microbatches);

/// <summary>
/// Exercise: write the step yourself. The checker runs the learner's step for a few steps beside
/// <see cref="Trainer.Step"/>, the library's step, from the same initial weights on the same batches, and
/// compares the losses and every weight bit for bit. When they differ it names the bug from what the learner's
/// step did: the gradient norm the optimizer saw at each call, what .grad held when each step began, the
/// loss the step returned against the losses it could have meant, and what the loop doctor reads in the
/// learner's telemetry.
/// </summary>
/// <remarks>
/// Both runs are on the CPU, in one process with the same thread count, where every kernel is deterministic;
/// on CUDA the embedding's backward adds with atomics in a varying order, and no two runs agree to the bit.
/// Clipping is off and, without accumulation, the learning rate is constant, so the five operations are the
/// whole step. With accumulation the schedule warms up over <see cref="AccumulationWarmup"/> steps, so a
/// scheduler stepped per microbatch shows.
/// </remarks>
public static class WriteTheStepExercise
{
    const string Name = "Write the step";
    const string AccumulatedName = "Write the step with accumulation";

    /// <summary>Steps each run takes: enough for the zero_grad bugs to show on every step, short enough to run in a second.</summary>
    public const int Steps = 5;

    /// <summary>Microbatches per optimizer step in <see cref="CheckAccumulated"/>.</summary>
    public const int Accumulation = 4;

    /// <summary>Optimizer steps of warmup in <see cref="CheckAccumulated"/>: the library's rate peaks at step 5; a scheduler counting microbatches gets there at step 2.</summary>
    public const int AccumulationWarmup = 4;

    // A weight may differ by this much when a learner's loss rounds differently from the library's (log-softmax and
    // gather by hand, say): about a thousand times what 5 AdamW steps of rate 1e-3 make of last-bit differences in a
    // gradient, and far below what any taught bug does.
    const double WeightTolerance = 1e-6;
    const double LossTolerance = 1e-5;      // relative
    const double GradNormTolerance = 1e-4;  // relative

    /// <summary>The settings of <see cref="Check"/>: a one-layer model on the course corpus, 4 windows of 16 characters, constant rate 1e-3, no clipping.</summary>
    public static (ModelConfig Model, TrainConfig Config) Settings() =>
        (OpsLogData.Load().Model(layers: 1, heads: 2, embd: 32, blockSize: 16),
         new TrainConfig(BatchSize: 4, MaxIters: 1000, LearningRate: 1e-3, MinLearningRate: 1e-3, WarmupIters: 0, ClipNorm: 0, EvalEvery: 1000, Seed: 14));

    /// <summary>The settings of <see cref="CheckAccumulated"/>: as <see cref="Settings"/>, with 4 microbatches of 2 windows and a warmup of 4 steps.</summary>
    public static (ModelConfig Model, TrainConfig Config) AccumulatedSettings()
    {
        var (model, config) = Settings();
        return (model, config with { BatchSize = 2, Accumulation = Accumulation, WarmupIters = AccumulationWarmup, MinLearningRate = 1e-4 });
    }

    /// <summary>Runs <paramref name="step"/> for <see cref="Steps"/> steps beside the library's step and says whether they agree, or what the bug is.</summary>
    /// <param name="step">The learner's step; null (not written yet) gets a "not answered" reply.</param>
    public static Feedback Check(LearnerStep? step)
    {
        if (step is null) return Feedback.NotAnswered(Name, "write your step: (model, optimizer, x, y) => { forward, loss, backward, step, zero_grad; return loss; }.");
        var (model, config) = Settings();
        return Run(Name, model, config, (m, o, _, batches) => step(m, o, batches[0].Inputs, batches[0].Targets));
    }

    /// <summary>Runs <paramref name="step"/> with <see cref="Accumulation"/> microbatches per step for <see cref="Steps"/> steps beside the library's step.</summary>
    /// <param name="step">The learner's step; null (not written yet) gets a "not answered" reply.</param>
    public static Feedback CheckAccumulated(LearnerAccumulatedStep? step)
    {
        if (step is null)
            return Feedback.NotAnswered(AccumulatedName, "write your step: (model, optimizer, scheduler, microbatches) => { forward, loss and backward per microbatch; then step, scheduler, zero_grad; return the step's loss; }.");
        var (model, config) = AccumulatedSettings();
        return Run(AccumulatedName, model, config, (m, o, s, batches) => step(m, o, s!, batches));
    }

    static Feedback Run(string name, ModelConfig shape, TrainConfig config, Func<TinyGpt, WatchedOptimizer, WatchedScheduler?, IReadOnlyList<Batch>, Tensor> learner)
    {
        var data = OpsLogData.Load().Split;
        using var library = new Trainer(shape, config, data, CPU, "library");
        library.Train(Steps);
        using var yours = new Trainer(shape, config, data, CPU, "your step");
        var optimizer = new WatchedOptimizer(yours.Optimizer, yours.Model.parameters());
        var scheduler = config.Accumulation > 1 ? new WatchedScheduler(optimizer, config.Schedule) : null;
        var observed = new List<StepObservation>();
        for (var k = 1; k <= Steps; k++)
        {
            using var scope = NewDisposeScope();
            var microbatches = Enumerable.Range(0, config.Accumulation).Select(_ => yours.Samplers[0].Next(CPU)).ToArray();
            var losses = LossesBefore(yours.Model, microbatches);
            var stale = optimizer.GradNorm();
            Tensor? loss;
            try
            {
                loss = learner(yours.Model, optimizer, scheduler, microbatches);
            }
            catch (NotImplementedException)
            {
                return Feedback.NotAnswered(name, "your step still throws NotImplementedException: replace it with the operations of a step.");
            }
            catch (Exception e) when (e.Message.Contains("modified by an inplace operation") && optimizer.TakeCalls().Any(c => c.Call == "step"))
            {
                // The update changed, in place, weights the graph of this step's forward still needed for backward.
                return Feedback.Fail(name, $"your step calls optimizer.step() between the forward and loss.backward(): at step {k} the update changed weights " +
                    "that backward still needed, and torch refused (\"one of the variables needed for gradient computation has been modified by an inplace operation\"). " +
                    "Before that the optimizer had stepped on the previous step's gradient, or at step 1 on the zeros .grad starts with. Call loss.backward() first, then optimizer.step().");
            }
            catch (Exception e)
            {
                return Feedback.Fail(name, $"your step threw at step {k}: {e.GetType().Name}: {e.Message}");
            }
            if (loss is null) return Feedback.Fail(name, "your step returned null: return the loss tensor.");
            if (loss.numel() != 1) return Feedback.Fail(name, $"your step returned a tensor of shape [{string.Join(", ", loss.shape)}]: return the loss, a single number.");
            observed.Add(new StepObservation(k, loss.detach().to(ScalarType.Float64).item<double>(), losses.Step, losses.InputsAsTargets,
                losses.LastMicrobatch, stale, optimizer.GradNorm(), optimizer.TakeCalls()));
        }

        var comparison = Compare(library, yours, observed);
        var evidence = new StepEvidence(observed, library.Log.Steps, config, Doctor(observed, shape, config));
        if (comparison.BitForBit)
            return Feedback.Pass(name, $"bit for bit: your {Steps} steps gave the library's {Steps} losses ({Losses(library.Log)}) and all {shape.ParameterCount:N0} weights exactly.");
        if (evidence.Bug() is { } bug) return Feedback.Fail(name, bug);
        if (evidence.AgreesWithin(LossTolerance, GradNormTolerance) && comparison.LargestWeightDifference <= WeightTolerance)
        {
            var lossGap = observed.Zip(library.Log.Steps).Max(p => Math.Abs(p.First.Returned - p.Second.Loss));
            return Feedback.Pass(name, $"equal to float rounding, not to the bit: your {Steps} losses differ from the library's ({Losses(library.Log)}) by at most {lossGap:0.0E+0} " +
                $"and your weights by at most {comparison.LargestWeightDifference:0.0E+0} (allowed: 1e-5 relative on a loss, {WeightTolerance:0E+0} on a weight). Your loss is the " +
                "library's number, the cross-entropy averaged over the step's target tokens, computed in another order, so its last bits differ; the tolerance allows that and nothing more.");
        }
        return Feedback.Fail(name, evidence.Divergence(comparison.LargestWeightDifference, LossTolerance, GradNormTolerance));
    }

    /// <summary>The loss of the step about to run, with the weights it starts from: over the targets, over the inputs as targets, and over the last microbatch alone.</summary>
    static (double Step, double InputsAsTargets, double LastMicrobatch) LossesBefore(TinyGpt model, IReadOnlyList<Batch> microbatches)
    {
        using var _ = no_grad();
        double sum = 0, inputsSum = 0, tokens = 0, last = 0;
        foreach (var batch in microbatches)
        {
            var logits = model.call(batch.Inputs);                                                             // (B, T, V)
            var (batchSum, count) = (StepLoss.Sum(logits, batch.Targets).to(ScalarType.Float64).item<double>(), batch.CountedTokens());
            sum += batchSum;
            inputsSum += StepLoss.Sum(logits, batch.Inputs).to(ScalarType.Float64).item<double>();
            tokens += count;
            last = batchSum / count;
        }
        return (sum / tokens, inputsSum / tokens, last);
    }

    /// <summary>The learner's step as a timeline, read by <see cref="LoopDoctor"/> against the run's settings.</summary>
    static Diagnosis Doctor(IReadOnlyList<StepObservation> observed, ModelConfig shape, TrainConfig config)
    {
        var log = new RunLog("your step");
        var optimizerSteps = 0;
        foreach (var o in observed)
        {
            var firstStep = o.Calls.FirstOrDefault(c => c.Call == "step");
            optimizerSteps += o.Calls.Count(c => c.Call == "step");
            log.Add(new StepRecord(
                Step: o.Step,
                Tokens: o.Step * config.TokensPerStep(shape.BlockSize),
                Loss: o.Returned,
                ValLoss: null,
                LearningRate: firstStep?.LearningRate ?? (o.Calls.Count > 0 ? o.Calls[^1].LearningRate : (double?)null) ?? double.NaN,
                GradNorm: o.Calls.Select(c => c.GradNorm).Append(o.EndGradNorm).Max(),
                Clipped: false,
                TokensPerSecond: 0,
                Mfu: 0,
                Skipped: false,
                OptimizerStep: optimizerSteps,
                GradNormAtStep: firstStep?.GradNorm ?? 0,
                TokenMeanLoss: o.Expected,
                StaleGradNorm: o.StaleGradNorm));
        }
        return LoopDoctor.Diagnose(log, RunInfo.From(shape, config, sftData: false));
    }

    static (bool BitForBit, double LargestWeightDifference) Compare(Trainer library, Trainer yours, IReadOnlyList<StepObservation> observed)
    {
        using var scope = NewDisposeScope();
        var pairs = library.Model.parameters().Zip(yours.Model.parameters()).ToArray();
        var equal = pairs.All(p => p.First.eq(p.Second).all().item<bool>()) && library.Log.Steps.Select(s => s.Loss).SequenceEqual(observed.Select(o => o.Returned));
        var largest = pairs.Max(p => (p.First - p.Second).abs().max().item<float>());
        return (equal, largest);
    }

    static string Losses(RunLog log) => $"{log.Steps[0].Loss:F4} -> {log.Steps[^1].Loss:F4}";
}

using NotebookKit.Data;
using NotebookKit.Faults;
using NotebookKit.Telemetry;
using NotebookKit.Tests.Training;
using NotebookKit.Training;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace NotebookKit.Tests.Faults;

/// <summary>
/// Each fault's measured signature on the seeded 40-step tiny run, beside the healthy run's value of the
/// same number. Every threshold sits between the two with a wide margin, and the comment says why.
/// </summary>
public class FaultSignatureTests(ITestOutputHelper output)
{
    static IReadOnlyList<StepRecord> Healthy => FaultRuns.Of(LoopFault.None).Log.Steps;
    static IReadOnlyList<StepRecord> Faulty(LoopFault fault) => FaultRuns.Of(fault).Log.Steps;
    static double Head(IReadOnlyList<StepRecord> steps) => steps.Take(8).Average(s => s.Loss);
    static double Tail(IReadOnlyList<StepRecord> steps) => steps.TakeLast(8).Average(s => s.Loss);

    [Fact]
    public void Zero_grad_before_step_the_optimizer_sees_zero_and_the_loss_stays_put()
    {
        var faulty = Faulty(LoopFault.ZeroGradBeforeStep);
        output.WriteLine($"faulty loss {Head(faulty):F4} -> {Tail(faulty):F4}, healthy {Head(Healthy):F4} -> {Tail(Healthy):F4}");
        // The weights never move, so the loss only wanders with the batches (under 1%); healthy learning removes
        // most of the surprise of this repetitive text (it falls from 3.0 to about 1.2, about 60%).
        Assert.InRange(Tail(faulty) / Head(faulty), 0.99, 1.01);
        Assert.True(Tail(Healthy) < 0.7 * Head(Healthy));
        // The optimizer saw exactly nothing, although backward produced a gradient of the usual size.
        Assert.All(faulty, s => Assert.Equal(0.0, s.GradNormAtStep));
        Assert.All(faulty, s => Assert.True(s.GradNorm > 0.5));
        Assert.All(Healthy, s => Assert.True(s.GradNormAtStep > 0.1));
    }

    [Fact]
    public void Gradients_never_zeroed_leave_a_gradient_in_grad_when_each_step_begins()
    {
        var faulty = Faulty(LoopFault.GradientsNeverZeroed);
        output.WriteLine($"faulty leftover norm min {faulty.Skip(1).Min(s => s.StaleGradNorm):F4}; healthy max {Healthy.Max(s => s.StaleGradNorm)}");
        // Healthy: zero_grad leaves exactly 0. Faulty: the previous step's gradient, clipped to norm 1, is still there.
        Assert.All(Healthy, s => Assert.Equal(0.0, s.StaleGradNorm));
        Assert.All(faulty.Skip(1), s => Assert.True(s.StaleGradNorm > 0.5, $"step {s.Step}: leftover {s.StaleGradNorm}"));
    }

    [Fact]
    public void Labels_not_shifted_copying_drives_training_loss_to_zero_while_validation_worsens()
    {
        var faulty = Faulty(LoopFault.LabelsNotShifted);
        var (firstVal, lastVal) = (faulty.First(s => s.ValLoss is not null).ValLoss!.Value, faulty.Last(s => s.ValLoss is not null).ValLoss!.Value);
        var (healthyFirstVal, healthyLastVal) = (Healthy.First(s => s.ValLoss is not null).ValLoss!.Value, Healthy.Last(s => s.ValLoss is not null).ValLoss!.Value);
        output.WriteLine($"faulty train end {Tail(faulty):F4}, val {firstVal:F4} -> {lastVal:F4}; healthy train end {Tail(Healthy):F4}, val {healthyFirstVal:F4} -> {healthyLastVal:F4}");
        // Copying the current token is easy: training loss goes below 0.05. Predicting the next one cannot get that
        // low on this text in 40 steps (the healthy run ends near 1.2).
        Assert.True(Tail(faulty) < 0.05);
        Assert.True(Tail(Healthy) > 0.3);
        // Scored on the shifted targets, the copier is worse than when it started; the healthy model improves a lot.
        Assert.True(lastVal > firstVal);
        Assert.True(healthyLastVal < 0.5 * healthyFirstVal);
    }

    [Fact]
    public void Scheduler_per_microbatch_with_accumulation_8_ends_warmup_at_step_warmup_over_8()
    {
        static int PeakStep(IReadOnlyList<StepRecord> steps) => steps.First(s => s.LearningRate >= 0.999 * FaultRuns.Base.LearningRate).OptimizerStep;
        var faulty = PeakStep(Faulty(LoopFault.SchedulerPerMicrobatch));
        output.WriteLine($"peak at optimizer step {faulty} (faulty, accumulation {FaultRuns.Of(LoopFault.SchedulerPerMicrobatch).Info.Accumulation}) vs {PeakStep(Healthy)} (healthy), warmup {FaultRuns.Base.WarmupIters}");
        // Warmup 16: the healthy schedule peaks at optimizer step 17 (position 16). Counting 8 microbatches per step,
        // position 16 is reached during optimizer step 16 / 8 = 2.
        Assert.Equal(FaultRuns.Base.WarmupIters + 1, PeakStep(Healthy));
        Assert.Equal(FaultRuns.Base.WarmupIters / 8, faulty);
    }

    [Fact]
    public void Eval_in_train_mode_repeated_evaluations_of_the_same_weights_differ_and_are_higher()
    {
        var run = FaultRuns.Of(LoopFault.EvalInTrainMode);
        var evals = run.Log.Steps.Where(s => s.ValLoss is not null).ToArray();
        var healthyEvals = FaultRuns.HealthyWithDropout.Log.Steps.Where(s => s.ValLoss is not null).ToArray();
        var spread = evals.Select(s => Math.Abs(s.ValLoss!.Value - s.ValLossRepeat!.Value)).ToArray();
        // Healthy (same dropout 0.1): evaluation is deterministic, both numbers agree to the last bit.
        Assert.All(healthyEvals, s => Assert.Equal(s.ValLoss, s.ValLossRepeat));
        // Faulty: dropout draws new masks each time, so every pair differs (by 1e-3 nats or more here).
        Assert.All(spread, d => Assert.True(d > 1e-4, $"spread {d}"));

        // And higher: the same final weights score worse with dropout on than in eval mode.
        var trainMode = Enumerable.Range(0, 5).Average(_ => run.Trainer.Evaluate());
        var evalMode = EvalModeLoss(run.Trainer);
        output.WriteLine($"spread min {spread.Min():E2} max {spread.Max():E2}; final weights: {trainMode:F4} with dropout on (mean of 5) vs {evalMode:F4} in eval mode");
        Assert.True(trainMode > evalMode + 0.01);
    }

    /// <summary>The validation loss of the trainer's current weights with dropout off, computed here rather than by the trainer under test.</summary>
    static double EvalModeLoss(Trainer trainer)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        trainer.Model.eval();
        var sampler = new WindowSampler(TinyRun.Data().Validation, trainer.ModelConfig.BlockSize, trainer.Config.BatchSize, trainer.Config.Seed + 1);
        var total = 0.0;
        for (var i = 0; i < trainer.Config.EvalIters; i++)
        {
            using var batch = sampler.Next(CPU);
            total += StepLoss.Sum(trainer.Model.call(batch.Inputs), batch.Targets).item<float>() / batch.CountedTokens();
        }
        trainer.Model.train();
        return total / trainer.Config.EvalIters;
    }

    [Fact]
    public void Accumulation_not_divided_logs_4x_the_loss_and_takes_a_4x_gradient()
    {
        var faulty = Faulty(LoopFault.AccumulationNotDivided);
        var ratios = faulty.Select(s => s.Loss / s.TokenMeanLoss!.Value).ToArray();
        // Step 1 draws the same 4 windows in both runs (4 microbatches of 1 vs 1 batch of 4: the sampler is counter-based).
        var normRatio = faulty[0].GradNorm / Healthy[0].GradNorm;
        output.WriteLine($"logged/per-token loss {ratios.Min():F6}..{ratios.Max():F6} (healthy {Healthy.Max(s => Math.Abs(s.Loss / s.TokenMeanLoss!.Value - 1)):E1} from 1); step-1 gradient norm {faulty[0].GradNorm:F3} vs {Healthy[0].GradNorm:F3} = {normRatio:F4}x");
        Assert.All(ratios, r => Assert.Equal(4.0, r, 4));
        Assert.All(Healthy, s => Assert.Equal(1.0, s.Loss / s.TokenMeanLoss!.Value, 5));
        Assert.Equal(4.0, normRatio, 3);
    }

    [Fact]
    public void Uncounted_skips_leave_optimizer_steps_behind_loop_steps_with_nothing_marked()
    {
        var faulty = Faulty(LoopFault.UncountedSkips);
        var healthy = FaultRuns.HealthyFp16.Log.Steps;
        var missing = faulty[^1].Step - faulty[^1].OptimizerStep;
        output.WriteLine($"faulty: loop {faulty[^1].Step}, optimizer {faulty[^1].OptimizerStep}, marked {faulty.Count(s => s.Skipped)}; healthy fp16: optimizer {healthy[^1].OptimizerStep}, marked {healthy.Count(s => s.Skipped)}");
        // The loss scale starts at 2^30 and may double every 5 clean steps, so fp16 overflows keep happening in both.
        Assert.True(missing >= 5);
        Assert.Equal(0, faulty.Count(s => s.Skipped));
        // Healthy: every step missing from the optimizer's count is marked skipped.
        Assert.Equal(healthy[^1].Step - healthy[^1].OptimizerStep, healthy.Count(s => s.Skipped));
        Assert.Equal(missing, healthy.Count(s => s.Skipped));
    }

    [Fact]
    public void Resume_without_scheduler_restarts_warmup_so_the_learning_rate_drops_tenfold()
    {
        var faulty = Faulty(LoopFault.ResumeWithoutScheduler);
        var resume = FaultRuns.Base.MaxIters / 2; // the drill resumes after step 20
        var drop = faulty[resume].LearningRate / faulty[resume - 1].LearningRate;
        var healthyDrop = Healthy[resume].LearningRate / Healthy[resume - 1].LearningRate;
        output.WriteLine($"LR step {resume} -> {resume + 1}: faulty {faulty[resume - 1].LearningRate:G4} -> {faulty[resume].LearningRate:G4} (x{drop:F3}), healthy x{healthyDrop:F3}");
        // Back to the first warmup value, peak / 17, from mid-cosine; the healthy cosine loses a few percent per step.
        Assert.True(drop < 0.1);
        Assert.True(healthyDrop > 0.9);
        Assert.Equal(FaultRuns.Base.Schedule.At(0), faulty[resume].LearningRate, 12);
    }

    [Fact]
    public void Resume_without_rng_state_replays_the_batches_of_the_first_half()
    {
        var faulty = Faulty(LoopFault.ResumeWithoutRngState);
        var half = FaultRuns.Base.MaxIters / 2;
        var replayed = Enumerable.Range(0, half).Count(i => faulty[half + i].BatchFingerprint == faulty[i].BatchFingerprint);
        var healthyRepeats = Healthy.Count - Healthy.Select(s => s.BatchFingerprint).Distinct().Count();
        output.WriteLine($"faulty: {replayed} of {half} steps after the resume replay the first half's batches; healthy: {healthyRepeats} repeated fingerprints in {Healthy.Count} steps");
        // 4 random windows out of about 2,000 positions never repeat by chance; after the faulty resume every batch does.
        Assert.Equal(half, replayed);
        Assert.Equal(0, healthyRepeats);
    }

    [Fact]
    public void Repeated_shards_every_window_is_drawn_by_both_ranks()
    {
        // Ranks are simulated in one process: both ranks' microbatches run through one model and their
        // token-normalised gradients add up, exactly the all-reduced gradient of identical replicas.
        var faulty = Faulty(LoopFault.RepeatedShards);
        var healthy = FaultRuns.HealthyTwoRanks.Log.Steps;
        output.WriteLine($"rank overlap: faulty {faulty.Average(s => s.RankOverlap):P0}, healthy {healthy.Average(s => s.RankOverlap):P0}");
        // Disjoint shards cannot share a window (0%); the same shard with the same seed gives the same windows (100%).
        Assert.All(faulty, s => Assert.Equal(1.0, s.RankOverlap));
        Assert.All(healthy, s => Assert.Equal(0.0, s.RankOverlap));
    }

    [Fact]
    public void Sft_mask_inverted_learns_the_prompts_while_the_response_loss_barely_moves()
    {
        var faulty = Faulty(LoopFault.SftMaskInverted);
        var healthy = FaultRuns.HealthySft.Log.Steps;
        static (double First, double Last) Val(IReadOnlyList<StepRecord> steps) =>
            (steps.First(s => s.ValLoss is not null).ValLoss!.Value, steps.Last(s => s.ValLoss is not null).ValLoss!.Value);
        var (faultyFirst, faultyLast) = Val(faulty);
        var (healthyFirst, healthyLast) = Val(healthy);
        output.WriteLine($"response (validation) loss: faulty {faultyFirst:F4} -> {faultyLast:F4} (x{faultyLast / faultyFirst:F3}), healthy {healthyFirst:F4} -> {healthyLast:F4} (x{healthyLast / healthyFirst:F3}); " +
                         $"training loss faulty {Head(faulty):F4} -> {Tail(faulty):F4}, healthy {Head(healthy):F4} -> {Tail(healthy):F4}");
        // Trained on the prompts, the model does learn something (training loss falls by half), but the response
        // loss ends where it started or worse (x1.03); learning the responses cuts it to about x0.58.
        Assert.True(Tail(faulty) < 0.7 * Head(faulty));
        Assert.True(faultyLast > 0.9 * faultyFirst);
        Assert.True(healthyLast < 0.75 * healthyFirst);
    }

    [Fact]
    public void Mean_of_microbatch_means_weights_short_microbatches_more()
    {
        var faulty = Faulty(LoopFault.MeanOfMicrobatchMeans);
        var healthy = FaultRuns.HealthySft.Log.Steps;
        var gaps = faulty.Select(s => Math.Abs(s.Loss / s.TokenMeanLoss!.Value - 1)).ToArray();
        // Step 1 of both runs holds the same 4 pairs (4 microbatches of 1 vs one batch of 4: counter-based draws).
        var gradientGap = Math.Abs(faulty[0].GradNorm / healthy[0].GradNorm - 1);
        output.WriteLine($"|logged / per-token loss - 1|: faulty median {gaps.Order().ElementAt(gaps.Length / 2):E2} (min {gaps.Min():E2}); healthy max {healthy.Max(s => Math.Abs(s.Loss / s.TokenMeanLoss!.Value - 1)):E2}; " +
                         $"step-1 gradient norm {faulty[0].GradNorm:F4} vs {healthy[0].GradNorm:F4} ({gradientGap:P2} apart)");
        // Healthy: the logged loss is the per-token loss up to float rounding (3e-8). Faulty: microbatches of one pair
        // hold 3 to 25 response tokens, so their means weigh tokens very unequally (a median gap of 1.4%, and 15%
        // in the first step's gradient norm).
        Assert.All(healthy, s => Assert.Equal(1.0, s.Loss / s.TokenMeanLoss!.Value, 5));
        Assert.True(gaps.Order().ElementAt(gaps.Length / 2) > 1e-3);
        Assert.True(gradientGap > 0.01);
    }
}

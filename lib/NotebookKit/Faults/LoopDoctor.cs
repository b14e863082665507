using System.Globalization;
using NotebookKit.Telemetry;
using NotebookKit.Training;

namespace NotebookKit.Faults;

/// <summary>
/// Names the likely broken loop from a run's timeline alone. Each rule looks for one fault's signature in
/// the columns a <see cref="RunLog"/> records and, when it fires, says what it saw with the numbers. The
/// thresholds sit far from both the healthy and the faulty values measured on the course's runs (see the
/// signature tests), so a rule does not fire on noise. A run whose loss went non-finite or exploded is named
/// <see cref="Diverged"/> first; the rules that read the loss curve's shape are then not asked, since a blown-up
/// curve says nothing about shifted labels or SFT masks.
/// </summary>
public static class LoopDoctor
{
    /// <summary>The name of the one finding that is not a <see cref="LoopFault"/>: the loss went NaN or infinite, or blew up past 1.5x its start.</summary>
    public const string Diverged = "diverged";

    /// <summary>Reads <paramref name="timeline"/> against what <paramref name="runInfo"/> says the run was set up to do.</summary>
    /// <exception cref="ArgumentException">The timeline has no steps.</exception>
    public static Diagnosis Diagnose(RunLog timeline, RunInfo runInfo)
    {
        var steps = timeline.Steps;
        if (steps.Count == 0) throw new ArgumentException($"timeline '{timeline.Name}' has no steps: train at least one step before asking the doctor");
        var diverged = Divergence(steps, runInfo);
        Func<IReadOnlyList<StepRecord>, RunInfo, Finding?>[] curveShape = [LabelsNotShifted, SftMaskInverted];
        Func<IReadOnlyList<StepRecord>, RunInfo, Finding?>[] rules =
        [
            SchedulerPerMicrobatch, EvalInTrainMode, GradientsNeverZeroed, ZeroGradBeforeStep, AccumulationLoss,
            UncountedSkips, ResumeWithoutScheduler, ResumeWithoutRngState, RepeatedShards,
        ];
        var findings = (diverged is null ? curveShape.Concat(rules) : rules).Select(rule => rule(steps, runInfo)).OfType<Finding>();
        return new Diagnosis(diverged is null ? findings.ToArray() : [diverged, .. findings], Summary(steps));
    }

    static Finding? LabelsNotShifted(IReadOnlyList<StepRecord> steps, RunInfo info)
    {
        // Copying its input gets a model to almost zero training loss, which next-token prediction on this data
        // cannot reach (the healthy runs end near 0.6); held-out text, scored on shifted targets, gets worse.
        var (trainEnd, valFirst, valLast) = (TailMean(steps), FirstVal(steps), LastVal(steps));
        if (valFirst is not { } first || valLast is not { } last) return null;
        if (!(trainEnd < 0.1 && last > first)) return null;
        return new(LoopFault.LabelsNotShifted.Name(),
            $"training loss fell to {N(trainEnd)} while validation loss rose from {N(first)} to {N(last)}: a near-zero training loss with " +
            "held-out loss getting worse means the model is copying its input, so the targets were not shifted by one");
    }

    static Finding? SftMaskInverted(IReadOnlyList<StepRecord> steps, RunInfo info)
    {
        // On prompt/response data the validation loss counts response tokens only. Training on the prompts instead
        // makes training loss fall while the response loss stays where it started.
        var (trainStart, trainEnd, valFirst, valLast) = (HeadMean(steps), TailMean(steps), FirstVal(steps), LastVal(steps));
        if (!info.SftData || valFirst is not { } first || valLast is not { } last) return null;
        if (!(trainEnd <= 0.7 * trainStart && last >= 0.9 * first && trainEnd >= 0.1)) return null;
        return new(LoopFault.SftMaskInverted.Name(),
            $"training loss fell from {N(trainStart)} to {N(trainEnd)} but the validation loss on responses only went from {N(first)} to {N(last)}: " +
            "the loss is learning something other than the responses, so the SFT mask is inverted (prompts counted, responses masked)");
    }

    static Finding? SchedulerPerMicrobatch(IReadOnlyList<StepRecord> steps, RunInfo info)
    {
        // A healthy schedule reaches its peak at optimizer step warmup + 1; one that counts microbatches gets there
        // accumulation times sooner. Half of warmup separates the two for any accumulation of 2 or more.
        if (info.WarmupIters < 2) return null;
        var peak = steps.FirstOrDefault(s => s.LearningRate >= 0.999 * info.LearningRate);
        if (peak is null || peak.OptimizerStep > (info.WarmupIters + 1) / 2.0) return null;
        var ratio = info.Accumulation > 1 ? $" ({info.WarmupIters} / accumulation {info.Accumulation} = {N(info.WarmupIters / (double)info.Accumulation)})" : "";
        return new(LoopFault.SchedulerPerMicrobatch.Name(),
            $"learning rate reached its peak {N(info.LearningRate)} at optimizer step {peak.OptimizerStep} but warmup is {info.WarmupIters}{ratio}: " +
            "the schedule advanced once per microbatch instead of once per optimizer step");
    }

    static Finding? EvalInTrainMode(IReadOnlyList<StepRecord> steps, RunInfo info)
    {
        // Evaluation without dropout is deterministic: both evaluations of the same weights agree to the last bit.
        var evals = steps.Where(s => s.ValLoss is not null && s.ValLossRepeat is not null).ToArray();
        var differing = evals.Where(s => Math.Abs(s.ValLoss!.Value - s.ValLossRepeat!.Value) > 1e-6 * Math.Max(1, Math.Abs(s.ValLoss.Value))).ToArray();
        if (evals.Length == 0 || differing.Length * 2 < evals.Length) return null;
        var largest = differing.Max(s => Math.Abs(s.ValLoss!.Value - s.ValLossRepeat!.Value));
        return new(LoopFault.EvalInTrainMode.Name(),
            $"two evaluations of the same weights differed on {differing.Length} of {evals.Length} evaluations (by up to {N(largest)} nats): " +
            "evaluation is random, so dropout was on while evaluating (the model was left in training mode)");
    }

    static Finding? GradientsNeverZeroed(IReadOnlyList<StepRecord> steps, RunInfo info)
    {
        // After a healthy step .grad holds exactly zero (or nothing); a leftover gradient is only ever there by mistake.
        var later = steps.Skip(1).Where(s => s.StaleGradNorm is not null).ToArray();
        var stale = later.Where(s => s.StaleGradNorm > 0).ToArray();
        if (later.Length == 0 || stale.Length < 0.9 * later.Length) return null;
        return new(LoopFault.GradientsNeverZeroed.Name(),
            $"gradients of earlier steps were still in .grad when {stale.Length} of {later.Length} steps began (median leftover norm {N(Median.Of(stale.Select(s => s.StaleGradNorm!.Value)))}): " +
            "they were never zeroed, so every update carries the sum of past gradients");
    }

    static Finding? ZeroGradBeforeStep(IReadOnlyList<StepRecord> steps, RunInfo info)
    {
        // Backward always leaves a non-zero gradient on a model that is still learning; the optimizer seeing exactly
        // zero means something cleared it in between.
        var stepped = steps.Where(s => !s.Skipped && double.IsFinite(s.GradNorm) && s.GradNorm > 0).ToArray();
        var zero = stepped.Count(s => s.GradNormAtStep == 0);
        if (stepped.Length == 0 || zero < 0.9 * stepped.Length) return null;
        var (start, end) = (HeadMean(steps), TailMean(steps));
        return new(LoopFault.ZeroGradBeforeStep.Name(),
            $"the optimizer saw a zero gradient norm on {zero} of {stepped.Length} steps while backward produced a median norm of " +
            $"{N(Median.Of(stepped.Select(s => s.GradNorm)))}; loss went from {N(start)} to {N(end)} ({SignedPct(end / start - 1)}): zero_grad ran between backward and the optimizer step");
    }

    static Finding? AccumulationLoss(IReadOnlyList<StepRecord> steps, RunInfo info)
    {
        // The logged loss and the loss per counted target token are the same number in a healthy step (they differ
        // by float rounding, under 1e-6). Undivided microbatch means make it accumulation times larger; averaging
        // microbatch means moves it by the imbalance of their token counts.
        var ratios = steps.Where(s => s.TokenMeanLoss is > 0).Select(s => s.Loss / s.TokenMeanLoss!.Value).Where(double.IsFinite).ToArray();
        if (ratios.Length == 0) return null;
        var ratio = Median.Of(ratios);
        if (info.Accumulation > 1 && Math.Abs(ratio - info.Accumulation) < 0.05 * info.Accumulation)
            return new(LoopFault.AccumulationNotDivided.Name(),
                $"the logged loss is {ratio:F2}x the loss per target token (median over {ratios.Length} steps) and accumulation is {info.Accumulation}: " +
                $"each microbatch's mean was backpropagated without dividing by {info.Accumulation}, so gradients are {info.Accumulation}x too large " +
                $"(median gradient norm {N(Median.Of(steps.Select(s => s.GradNorm).Where(double.IsFinite)))}{(info.ClipNorm > 0 ? $", clip {N(info.ClipNorm)}" : "")})");
        var gap = Median.Of(ratios.Select(r => Math.Abs(r - 1)));
        if (gap <= 1e-4) return null;
        return new(LoopFault.MeanOfMicrobatchMeans.Name(),
            $"the logged loss differs from the loss per target token by a median of {Pct(gap)} over {ratios.Length} steps: the step's loss is a mean of " +
            "microbatch means, which gives the tokens of short microbatches more weight; normalise by the target tokens of the whole step");
    }

    static Finding? UncountedSkips(IReadOnlyList<StepRecord> steps, RunInfo info)
    {
        // Every loop step either updates the weights or is reported skipped; the counters must add up exactly.
        var last = steps[^1];
        var reported = steps.Count(s => s.Skipped);
        var unreported = last.Step - last.OptimizerStep - reported;
        if (unreported <= 0) return null;
        var halvings = steps.Zip(steps.Skip(1)).Count(p => p.Second.LossScale < p.First.LossScale);
        return new(LoopFault.UncountedSkips.Name(),
            $"optimizer steps {last.OptimizerStep} < loop steps {last.Step}: {unreported} steps skipped and not reported (the skipped column marks {reported}); " +
            $"the loss scale was halved {halvings} times, so fp16 overflows threw those updates away");
    }

    static Finding? ResumeWithoutScheduler(IReadOnlyList<StepRecord> steps, RunInfo info)
    {
        // A cosine schedule never loses half its value in one step and never climbs after warmup; warmup starting
        // over does both.
        for (var i = 1; i + 1 < steps.Count; i++)
        {
            var (before, at, after) = (steps[i - 1].LearningRate, steps[i].LearningRate, steps[i + 1].LearningRate);
            if (at < 0.5 * before && after > at)
                return new(LoopFault.ResumeWithoutScheduler.Name(),
                    $"learning rate fell from {N(before)} at step {steps[i - 1].Step} to {N(at)} at step {steps[i].Step} and then climbed again: " +
                    "the schedule restarted its warmup mid-run, as a resume does that restores the optimizer but not the scheduler position");
        }
        return null;
    }

    static Finding? ResumeWithoutRngState(IReadOnlyList<StepRecord> steps, RunInfo info)
    {
        // Random batches never repeat exactly (a 64-bit fingerprint of every item in draw order); a run of repeats
        // means the data position went back.
        var firstSeen = new Dictionary<string, int>();
        var repeats = new List<(int Step, int Original)>();
        foreach (var s in steps.Where(s => s.BatchFingerprint is not null))
            if (firstSeen.TryGetValue(s.BatchFingerprint!, out var original)) repeats.Add((s.Step, original));
            else firstSeen[s.BatchFingerprint!] = s.Step;
        if (repeats.Count < 3) return null;
        return new(LoopFault.ResumeWithoutRngState.Name(),
            $"{repeats.Count} steps trained on exactly the data of an earlier step (step {repeats[0].Step} repeats step {repeats[0].Original}, " +
            $"step {repeats[^1].Step} repeats step {repeats[^1].Original}): the data position and random state were not restored on resume");
    }

    static Finding? RepeatedShards(IReadOnlyList<StepRecord> steps, RunInfo info)
    {
        // Disjoint shards give an overlap of exactly 0; identical shards give 1.
        var overlaps = steps.Where(s => s.RankOverlap is not null).Select(s => s.RankOverlap!.Value).ToArray();
        if (info.Ranks < 2 || overlaps.Length == 0 || overlaps.Average() < 0.5) return null;
        return new(LoopFault.RepeatedShards.Name(),
            $"on average {Pct(overlaps.Average())} of each step's training items were drawn by more than one of the {info.Ranks} ranks: " +
            $"the ranks read the same shard, so each step sees as little distinct data as one rank's");
    }

    static Finding? Divergence(IReadOnlyList<StepRecord> steps, RunInfo info)
    {
        // A healthy run never returns above its starting loss, let alone to NaN; one that does has diverged, whatever
        // else is wrong with it. The first non-finite loss, or else the first 3-step mean above 1.5x the first three.
        var rate = $"peak learning rate {N(info.LearningRate)}";
        if (steps.FirstOrDefault(s => !double.IsFinite(s.Loss)) is { } broken)
            return new(Diverged,
                $"the loss became {N(broken.Loss)} at step {broken.Step} (learning rate {N(broken.LearningRate)}, {rate}) after " +
                $"{N(HeadMean(steps, 3))} at the start: the run diverged, so what the loss curve shows after that says nothing about the loop; lower the learning rate");
        var start = HeadMean(steps, 3);
        for (var i = 2; i < steps.Count; i++)
        {
            var recent = (steps[i].Loss + steps[i - 1].Loss + steps[i - 2].Loss) / 3;
            if (!(recent > 1.5 * start)) continue;
            var norms = steps.Select(s => s.GradNorm).Where(double.IsFinite).ToArray();
            var grew = norms.Length >= 3 ? $"; the gradient norm went from {N(Median.Of(norms.Take(3)))} to a peak of {N(norms.Max())}" : "";
            return new(Diverged,
                $"the 3-step mean loss passed 1.5x its start ({N(start)}) at step {steps[i].Step}, learning rate {N(steps[i].LearningRate)} ({rate}), " +
                $"and reached {N(steps.Skip(i).Max(s => s.Loss))}{grew}: the run diverged; lower the learning rate");
        }
        return null;
    }

    static string Summary(IReadOnlyList<StepRecord> steps)
    {
        var val = FirstVal(steps) is { } first && LastVal(steps) is { } last ? $", validation {N(first)} -> {N(last)}" : "";
        return $"read {steps.Count} steps (loop step {steps[0].Step} to {steps[^1].Step}, optimizer step {steps[^1].OptimizerStep}): " +
               $"loss {N(HeadMean(steps))} -> {N(TailMean(steps))}{val}";
    }

    // Means over the first and last tenth of the run (at least 3 steps), so one noisy step does not decide.
    static double HeadMean(IReadOnlyList<StepRecord> steps, int? count = null) => steps.Take(count ?? Window(steps)).Average(s => s.Loss);
    static double TailMean(IReadOnlyList<StepRecord> steps) => steps.Skip(steps.Count - Window(steps)).Average(s => s.Loss);
    static int Window(IReadOnlyList<StepRecord> steps) => Math.Min(steps.Count, Math.Max(3, steps.Count / 10));
    static double? FirstVal(IReadOnlyList<StepRecord> steps) => steps.FirstOrDefault(s => s.ValLoss is not null)?.ValLoss;
    static double? LastVal(IReadOnlyList<StepRecord> steps) => steps.LastOrDefault(s => s.ValLoss is not null)?.ValLoss;

    static string N(double value) => value.ToString("G3", CultureInfo.InvariantCulture);
    static string Pct(double fraction) => (fraction * 100).ToString(Math.Abs(fraction) < 0.01 ? "0.###" : "0.#", CultureInfo.InvariantCulture) + "%";
    static string SignedPct(double fraction) => (fraction >= 0 ? "+" : "-") + Pct(Math.Abs(fraction));
}

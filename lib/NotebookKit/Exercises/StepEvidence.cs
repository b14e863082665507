using System.Globalization;
using NotebookKit.Faults;
using NotebookKit.Telemetry;
using NotebookKit.Training;

namespace NotebookKit.Exercises;

/// <summary>What one call of a learner's step did, as the checker saw it from outside.</summary>
/// <param name="Step">The step, from 1.</param>
/// <param name="Returned">The loss the step returned.</param>
/// <param name="Expected">The step's loss as it should be, with the weights it started from: summed cross-entropy against the targets over the step's target tokens.</param>
/// <param name="InputsAsTargets">The same with the inputs as targets: what unshifted labels give.</param>
/// <param name="LastMicrobatch">The mean loss of the step's last microbatch alone.</param>
/// <param name="StaleGradNorm">Norm of .grad when the step began.</param>
/// <param name="EndGradNorm">Norm of .grad when the step returned.</param>
/// <param name="Calls">The optimizer and scheduler calls the step made, in order.</param>
sealed record StepObservation(int Step, double Returned, double Expected, double InputsAsTargets, double LastMicrobatch,
    double StaleGradNorm, double EndGradNorm, IReadOnlyList<OptimizerCall> Calls)
{
    public int Count(string call) => Calls.Count(c => c.Call == call);
    public int IndexOf(string call) => Calls.ToList().FindIndex(c => c.Call == call);
    public OptimizerCall? FirstStep => Calls.FirstOrDefault(c => c.Call == "step");
    public IEnumerable<OptimizerCall> ZeroGradsBeforeStep => Calls.TakeWhile(c => c.Call != "step").Where(c => c.Call == "zero_grad");
}

/// <summary>
/// Names the bug in a learner's step from what the checker observed, beside the library's records of the same steps.
/// Each rule looks for one taught bug's direct evidence, in the order a bug hides the next (a step that never
/// updates hides everything after it), and says what it saw with the numbers, in the learner's terms.
/// </summary>
sealed class StepEvidence(IReadOnlyList<StepObservation> observed, IReadOnlyList<StepRecord> library, TrainConfig config, Diagnosis doctor)
{
    int Accumulation => config.Accumulation;
    int N => observed.Count;

    /// <summary>The first bug whose evidence is there, as a message for the learner; null when none is.</summary>
    public string? Bug() =>
        NeverSteps() ?? UnshiftedLabels() ?? StepBeforeBackward() ?? ZeroGradBeforeStep() ?? NoGradient() ?? ZeroGradPerMicrobatch()
        ?? StepPerMicrobatch() ?? NeverZeroed() ?? NotDivided() ?? Scheduler() ?? WrongLossReturned();

    /// <summary>Whether every step made one update with the library's learning rate, gradient norm and loss, to the given relative tolerances.</summary>
    public bool AgreesWithin(double lossTolerance, double gradNormTolerance) =>
        observed.Zip(library).All(p => Agrees(p.First, p.Second, lossTolerance, gradNormTolerance));

    /// <summary>Where the learner's step first parts from the library's (by the same tolerances), when no rule names a bug.</summary>
    public string Divergence(double largestWeightDifference, double lossTolerance, double gradNormTolerance)
    {
        var parted = observed.Zip(library).Where(p => !Agrees(p.First, p.Second, lossTolerance, gradNormTolerance));
        var (o, s) = parted.DefaultIfEmpty((observed[^1], library[^1])).First();
        var yourStep = o.FirstStep is { } call ? $"gradient norm at the update {N4(call.GradNorm)} vs {N4(s.GradNormAtStep)}, learning rate {N4(call.LearningRate)} vs {N4(s.LearningRate)}" : "no update";
        return $"your step parts from the library's at step {o.Step}: loss {N4(o.Returned)} vs {N4(s.Loss)}, {yourStep}; after {N} steps the weights differ by up to " +
               $"{largestWeightDifference:E1}. {DoctorSays() ?? "The loop doctor sees none of the bugs it knows in your step's telemetry: compare your step with forward, loss, backward, step, zero_grad, one line at a time."}";
    }

    static bool Agrees(StepObservation o, StepRecord s, double lossTolerance, double gradNormTolerance) =>
        o.Count("step") == 1 && Close(o.Returned, s.Loss, lossTolerance) && Close(o.FirstStep!.GradNorm, s.GradNormAtStep, gradNormTolerance)
        && Close(o.FirstStep!.LearningRate, s.LearningRate, 1e-12);

    string? NeverSteps()
    {
        if (observed.Any(o => o.Count("step") > 0)) return null;
        var made = observed.Max(o => o.Calls.Select(c => c.GradNorm).Append(o.EndGradNorm).Max());
        return $"your step never calls optimizer.step(): {(made > 0 ? $".grad held a gradient (norm up to {N4(made)}) but " : "")}the weights did not move in {N} steps. " +
               "Call optimizer.step() after loss.backward().";
    }

    string? UnshiftedLabels()
    {
        var o = observed[0];
        var unshifted = Close(o.Returned, o.InputsAsTargets, 1e-4) || Close(o.Returned, Accumulation * o.InputsAsTargets, 1e-4);
        if (!unshifted || Close(o.Returned, o.Expected, 1e-4)) return null;
        return $"your loss compares the logits with the inputs x, not the targets y: at step 1 your step returned {N4(o.Returned)}, the cross-entropy against x; " +
               $"against y, the same text shifted by one, it is {N4(o.Expected)}. Position t must predict y[t], the token after x[t]: use y as the target.";
    }

    string? StepBeforeBackward()
    {
        // At step 1 .grad starts empty: an update that finds nothing there while backward's gradient turns up after it ran first.
        var first = observed[0];
        var at = first.IndexOf("step");
        if (at < 0 || first.Calls[at].GradNorm > 0) return null;
        var after = first.Calls.Skip(at + 1).Select(c => c.GradNorm).Append(first.EndGradNorm).Max();
        if (after == 0 || first.ZeroGradsBeforeStep.Any(c => c.GradNorm > 0)) return null;
        return $"your step calls optimizer.step() before loss.backward(): at step 1 the optimizer found no gradient at all, and backward's gradient (norm {N4(after)}) " +
               $"arrived after the update. {ZeroAtStep()} Call loss.backward() first, then optimizer.step().";
    }

    string? ZeroGradBeforeStep()
    {
        var wiped = observed.Where(o => o.FirstStep is { GradNorm: 0 } && o.ZeroGradsBeforeStep.Any(c => c.GradNorm > 0)).ToArray();
        if (wiped.Length == 0) return null;
        var where = Accumulation > 1 && wiped[0].ZeroGradsBeforeStep.Count() == Accumulation
            ? "runs zero_grad inside the microbatch loop, after each backward, so nothing is left when the loop ends"
            : "runs zero_grad between backward and step";
        return $"your step {where}: the optimizer saw a zero gradient at {Of(wiped.Length)} steps, though backward had made a gradient of norm " +
               $"{N4(wiped[0].ZeroGradsBeforeStep.Max(c => c.GradNorm))} at step {wiped[0].Step}. Call optimizer.zero_grad() after optimizer.step() (or first in the step, before any backward)." +
               Doctor(LoopFault.ZeroGradBeforeStep);
    }

    string? NoGradient()
    {
        var empty = observed.Where(o => o.FirstStep is { GradNorm: 0 }).ToArray();
        if (empty.Length < N) return null;
        return $"the optimizer saw a zero gradient at {Of(N)} steps and no zero_grad() call cleared one first: loss.backward() is missing, or something else (model.zero_grad()?) " +
               "cleared .grad before the update. Call loss.backward() right after the loss, and clear the gradients only after optimizer.step().";
    }

    string? ZeroGradPerMicrobatch()
    {
        if (Accumulation < 2) return null;
        var o = observed[0];
        if (o.ZeroGradsBeforeStep.Count(c => c.GradNorm > 0) < Accumulation - 1 || o.FirstStep is not { } step) return null;
        return $"your step runs zero_grad inside the microbatch loop, before each forward: each microbatch's gradient clears the one before, so at step 1 the optimizer " +
               $"saw only the last microbatch's gradient (norm {N4(step.GradNorm)}; the whole step's is {N4(library[0].GradNormAtStep)}). Clear the gradients once per step, outside the loop.";
    }

    string? StepPerMicrobatch()
    {
        var most = observed.Max(o => o.Count("step"));
        if (most < 2) return null;
        var perMicrobatch = Accumulation > 1 && most == Accumulation ? ", once per microbatch" : "";
        return $"your step calls optimizer.step() {most} times{perMicrobatch}: that is {most} small updates on partial gradients, not one update on the step's gradient. " +
               $"Call it once per step, after {(Accumulation > 1 ? "the last microbatch's backward" : "loss.backward()")}.";
    }

    string? NeverZeroed()
    {
        var stale = observed.Skip(1).Where(o => o.StaleGradNorm > 0).ToArray();
        if (stale.Length < N - 1 || N < 2) return null;
        return $"your step never clears the gradients: when steps 2 to {N} began, .grad still held what earlier steps had added (norm {N4(stale[0].StaleGradNorm)} at step 2, " +
               $"{N4(stale[^1].StaleGradNorm)} at step {N}), so each update used the sum of all past gradients. Call optimizer.zero_grad() after optimizer.step()." +
               Doctor(LoopFault.GradientsNeverZeroed);
    }

    string? NotDivided()
    {
        if (Accumulation < 2 || observed[0].FirstStep is not { } step) return null;
        var ratio = step.GradNorm / library[0].GradNormAtStep;
        if (Math.Abs(ratio - Accumulation) > 0.05 * Accumulation) return null;
        return $"your step backpropagates each microbatch's loss without dividing by the {Accumulation} microbatches: at step 1 the optimizer saw a gradient of norm " +
               $"{N4(step.GradNorm)}, {ratio.ToString("F2", CultureInfo.InvariantCulture)}x the library's {N4(library[0].GradNormAtStep)}. Divide each microbatch's loss by microbatches.Count before backward." +
               Doctor(LoopFault.AccumulationNotDivided);
    }

    string? Scheduler()
    {
        if (Accumulation < 2) return null;
        if (observed.All(o => o.Count("scheduler.step") == 0))
            return $"your step never calls scheduler.step(): the learning rate stayed at {N4(config.Schedule.At(0))} for {Of(N)} steps while the library's warmed up to " +
                   $"{N4(library[^1].LearningRate)}. Call scheduler.step() once per step, after optimizer.step().";
        var most = observed.Max(o => o.Count("scheduler.step"));
        if (most > 1)
        {
            var peak = observed.FirstOrDefault(o => o.FirstStep?.LearningRate >= 0.999 * config.LearningRate);
            var reached = peak is null ? "" : $"; it reached the peak {N4(config.LearningRate)} at optimizer step {peak.Step}, the library's at step {config.WarmupIters + 1}";
            return $"your step calls scheduler.step() {most} times per step{(most == Accumulation ? ", once per microbatch" : "")}: step 1's update used a learning rate of " +
                   $"{N4(observed[0].FirstStep?.LearningRate ?? double.NaN)} where the library's used {N4(library[0].LearningRate)}{reached}, so warmup ended {most}x too early. " +
                   "Call it once per step, after optimizer.step()." + Doctor(LoopFault.SchedulerPerMicrobatch);
        }
        var early = observed.FirstOrDefault(o => o.IndexOf("scheduler.step") >= 0 && o.IndexOf("scheduler.step") < o.IndexOf("step"));
        if (early is null) return null;
        return $"your step calls scheduler.step() before optimizer.step(): step {early.Step}'s update used the learning rate of the next step ({N4(early.FirstStep!.LearningRate)} where " +
               $"the library used {N4(library[early.Step - 1].LearningRate)}). Call it after optimizer.step().";
    }

    string? WrongLossReturned()
    {
        var o = observed.FirstOrDefault(o => !Close(o.Returned, o.Expected, 1e-4));
        if (o is null) return null;
        if (Accumulation > 1 && Close(o.Returned, o.LastMicrobatch, 1e-4))
            return $"your step returns the last microbatch's loss ({N4(o.Returned)} at step {o.Step}), not the step's ({N4(o.Expected)}): one microbatch is a quarter-sized, noisier sample. " +
                   "Add up every microbatch's share (its loss divided by the count) and return the sum.";
        if (Accumulation > 1 && Close(o.Returned, o.LastMicrobatch / Accumulation, 1e-4))
            return $"your step returns only the last microbatch's share ({N4(o.Returned)} at step {o.Step}, its loss divided by {Accumulation}), not the step's loss ({N4(o.Expected)}). " +
                   "Add up every microbatch's share and return the sum.";
        return $"the loss your step returns is not the step's loss: {N4(o.Returned)} at step {o.Step}, where the mean over the step's target tokens is {N4(o.Expected)}. " +
               "Return the cross-entropy averaged over every target token of the step.";
    }

    /// <summary>" The loop doctor, reading your step's telemetry: name: evidence" when the doctor found <paramref name="fault"/>, else nothing.</summary>
    string Doctor(LoopFault fault) =>
        doctor.Findings.FirstOrDefault(f => f.Name == fault.Name()) is { } finding ? $" The loop doctor, reading your step's telemetry: {finding}." : "";

    string? DoctorSays() => doctor.Healthy ? null : $"The loop doctor, reading your step's telemetry: {string.Join("; ", doctor.Findings)}.";

    string ZeroAtStep()
    {
        var zero = observed.Count(o => o.FirstStep is { GradNorm: 0 });
        return zero == N ? $"The optimizer saw a zero gradient at {Of(N)} steps." : $"At {zero} of {N} steps the optimizer saw a zero gradient; at the others it used the previous step's.";
    }

    string Of(int count) => count == N ? $"all {N}" : $"{count} of {N}";

    static bool Close(double a, double b, double relative) => Math.Abs(a - b) <= relative * Math.Max(Math.Abs(a), Math.Abs(b)) || a == b;
    static string N4(double value) => value.ToString("G4", CultureInfo.InvariantCulture);
}

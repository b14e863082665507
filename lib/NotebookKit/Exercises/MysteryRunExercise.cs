using NotebookKit.Faults;
using NotebookKit.Telemetry;
using NotebookKit.Training;

namespace NotebookKit.Exercises;

/// <summary>An unlabeled broken run: its timeline and settings are shown, the fault that broke it is hidden.</summary>
public sealed class MysteryRun
{
    internal MysteryRun(RunLog timeline, RunInfo info, LoopFault fault)
    {
        Timeline = timeline;
        Info = info;
        Fault = fault;
    }

    /// <summary>Faults a mystery run may hide: each leaves a clear mark on the timeline of a short text run.</summary>
    public static IReadOnlyList<LoopFault> Candidates { get; } =
    [
        LoopFault.ZeroGradBeforeStep, LoopFault.GradientsNeverZeroed, LoopFault.LabelsNotShifted,
        LoopFault.SchedulerPerMicrobatch, LoopFault.UncountedSkips, LoopFault.ResumeWithoutScheduler,
    ];

    /// <summary>The run's timeline, named "mystery run".</summary>
    public RunLog Timeline { get; }

    /// <summary>What the run was configured to do (warmup, accumulation, precision, ...): the reader's context, not the answer.</summary>
    public RunInfo Info { get; }

    internal LoopFault Fault { get; }

    /// <summary>Trains one of the <see cref="Candidates"/>, picked by <paramref name="seed"/>, in <paramref name="gallery"/>'s setup.</summary>
    public static MysteryRun Create(FaultGallery gallery, int seed)
    {
        var fault = Candidates[new Random(seed).Next(Candidates.Count)];
        var (timeline, info) = gallery.Train(fault, "mystery run");
        return new MysteryRun(timeline, info, fault);
    }
}

/// <summary>Exercise: name the fault behind a <see cref="MysteryRun"/> from its timeline alone.</summary>
public static class MysteryRunExercise
{
    const string Name = "Diagnose the mystery run";

    /// <summary>What each fault does to a timeline, in the words of someone pointing at the chart.</summary>
    static string Signature(LoopFault fault, RunInfo info) => fault switch
    {
        LoopFault.LabelsNotShifted => "the training loss dives toward zero, below the entropy floor no model can beat, while the validation diamonds climb: the model is copying its input",
        LoopFault.SftMaskInverted => "on prompt/response data the training loss falls while the validation loss on responses stays where it started",
        LoopFault.SchedulerPerMicrobatch => $"the learning-rate panel reaches its peak long before the {info.WarmupIters} warmup steps are over: the schedule counted microbatches",
        LoopFault.EvalInTrainMode => "two evaluations of the same weights disagree, because dropout stayed on while evaluating",
        LoopFault.GradientsNeverZeroed => "the grad-norm panel keeps climbing instead of settling into a band: every backward adds to gradients nobody cleared",
        LoopFault.ZeroGradBeforeStep => "the loss panel stays flat from the first step to the last while backward's gradient norm looks normal; hover a step and the norm the optimizer saw is 0",
        LoopFault.AccumulationNotDivided => "the logged loss is the accumulation count times the loss per token, and the gradient norm is that many times too large",
        LoopFault.MeanOfMicrobatchMeans => "the logged loss differs slightly from the loss per target token, step after step",
        LoopFault.UncountedSkips => "the loop step and the optimizer step drift apart in the hover (\"step n (optimizer step m)\") and the loss scale halves, yet no step is marked skipped",
        LoopFault.ResumeWithoutScheduler => "halfway through, the learning-rate panel drops back to a warmup value and climbs again: a resume that did not restore the scheduler",
        LoopFault.ResumeWithoutRngState => "after the resume, steps train on exactly the batches of the run's first steps",
        LoopFault.RepeatedShards => "the ranks draw the same windows, so each step sees as little distinct data as one rank",
        _ => "a healthy run: the loss falls, validation follows, the learning rate follows its schedule",
    };

    /// <summary>Checks the learner's diagnosis: a fault name as <c>nbk train --fault</c> spells it (e.g. <c>zero-grad-before-step</c>).</summary>
    /// <param name="run">The mystery run the learner read.</param>
    /// <param name="answer">The learner's fault name; the enum's own spelling (ZeroGradBeforeStep) is accepted too.</param>
    public static Feedback Check(MysteryRun run, string? answer)
    {
        var names = string.Join(", ", LoopFaultNames.All);
        if (string.IsNullOrWhiteSpace(answer))
            return Feedback.NotAnswered(Name, $"name the fault as nbk train --fault spells it, one of: {names}.");
        var real = run.Fault;
        var clue = Signature(real, run.Info);
        if (answer.Trim().Equals(LoopDoctor.LrTooHigh, StringComparison.OrdinalIgnoreCase))
            return Feedback.Fail(Name, $"a learning rate that is too high shows as gradient-norm spikes followed by an exploding loss, and this run's peak rate ({run.Info.LearningRate}) did not explode it. The fault is in the loop. Look again: {clue}.");
        if (!TryParse(answer, out var given))
            return Feedback.Fail(Name, $"'{answer.Trim()}' is not a fault name: use one of {names}.");
        if (given == real)
        {
            var evidence = LoopDoctor.Diagnose(run.Timeline, run.Info).Findings.FirstOrDefault(f => f.Name == real.Name())?.Evidence ?? clue;
            return Feedback.Pass(Name, $"{real.Name()}. The evidence: {evidence}.");
        }
        if (given == LoopFault.None)
            return Feedback.Fail(Name, $"this run is not healthy. Look again: {clue}.");
        return Feedback.Fail(Name, $"not {given.Name()}: that fault would show as {Signature(given, run.Info)}, and this timeline does not. Look again: {clue}.");
    }

    static bool TryParse(string answer, out LoopFault fault)
    {
        var text = answer.Trim();
        if (Enum.TryParse(text, ignoreCase: true, out fault) && !int.TryParse(text, out _)) return true;
        try
        {
            fault = LoopFaultNames.Parse(text.Replace('_', '-').Replace(' ', '-'));
            return true;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
}

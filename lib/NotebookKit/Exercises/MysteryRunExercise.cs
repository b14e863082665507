using NotebookKit.Faults;
using NotebookKit.Telemetry;
using NotebookKit.Training;

namespace NotebookKit.Exercises;

/// <summary>
/// An unlabeled broken run: its timeline and settings are shown, the fault that broke it is hidden. Every candidate
/// trains with the same settings (accumulation 4 for all of them, fp32, one rank, no dropout, text), so the
/// settings shown beside the timeline are the same whichever fault is hidden and only the timeline tells.
/// </summary>
public sealed class MysteryRun
{
    /// <summary>Microbatches per step of every mystery run: enough for the accumulation faults to show, the same for all.</summary>
    public const int Accumulation = 4;

    internal MysteryRun(RunLog timeline, RunInfo info, LoopFault fault)
    {
        Timeline = timeline;
        Info = info;
        Fault = fault;
    }

    /// <summary>
    /// Faults a mystery run may hide: each leaves a clear mark on the timeline of a short text run with accumulation
    /// <see cref="Accumulation"/>, and none needs a setting of its own (fp16, ranks, dropout, SFT data) that would name it.
    /// </summary>
    public static IReadOnlyList<LoopFault> Candidates { get; } =
    [
        LoopFault.ZeroGradBeforeStep, LoopFault.GradientsNeverZeroed, LoopFault.LabelsNotShifted, LoopFault.SchedulerPerMicrobatch,
        LoopFault.AccumulationNotDivided, LoopFault.ResumeWithoutScheduler, LoopFault.ResumeWithoutRngState,
    ];

    /// <summary>The run's timeline, named "mystery run".</summary>
    public RunLog Timeline { get; }

    /// <summary>What the run was configured to do (warmup, accumulation, precision, ...): the reader's context, the same for every candidate.</summary>
    public RunInfo Info { get; }

    internal LoopFault Fault { get; }

    /// <summary>Wrong answers checked so far; the hints get more specific with each.</summary>
    internal int WrongAnswers { get; set; }

    /// <summary>
    /// A seed that is the same every time for one learner and differs between learners: a stable hash (FNV-1a) of the
    /// user and machine name. Two people comparing notes then usually have different mysteries.
    /// </summary>
    public static int LearnerSeed()
    {
        var hash = 2166136261u;
        foreach (var c in $"{Environment.UserName}@{Environment.MachineName}") hash = (hash ^ c) * 16777619u;
        return (int)(hash & int.MaxValue);
    }

    /// <summary>The candidate <paramref name="seed"/> hides.</summary>
    internal static LoopFault Pick(int seed) => Candidates[new Random(seed).Next(Candidates.Count)];

    /// <summary>Trains one of the <see cref="Candidates"/>, picked by <paramref name="seed"/>, in <paramref name="gallery"/>'s setup with accumulation <see cref="Accumulation"/>.</summary>
    public static MysteryRun Create(FaultGallery gallery, int seed)
    {
        var fault = Pick(seed);
        var (timeline, info) = gallery.Train(fault, "mystery run", Accumulation);
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

    /// <summary>Which panel (or hover field) shows the fault: the second hint, before the signature itself.</summary>
    static string Where(LoopFault fault) => fault switch
    {
        LoopFault.LabelsNotShifted => "the loss panel: compare how low the training line goes with the entropy floor, and watch the validation diamonds",
        LoopFault.SchedulerPerMicrobatch or LoopFault.ResumeWithoutScheduler => "the learning-rate panel: compare its shape with a warmup followed by a cosine decay",
        LoopFault.GradientsNeverZeroed => "the grad-norm panel: does it settle into a band?",
        LoopFault.ZeroGradBeforeStep => "the loss panel, then hover a step: compare the two gradient norms it lists",
        LoopFault.AccumulationNotDivided => "hover a step: compare the logged loss with the loss per target token",
        LoopFault.ResumeWithoutRngState => "hover steps after the middle of the run: compare their batch fingerprints with the first steps'",
        _ => "every panel, top to bottom",
    };

    /// <summary>
    /// Checks the learner's diagnosis: one fault name as <c>nbk train --fault</c> spells it (e.g. <c>zero-grad-before-step</c>).
    /// A wrong name is answered in tiers: first what that fault would have looked like, then which panel to read, and from
    /// the third wrong answer on, what this run's panels show.
    /// </summary>
    /// <param name="run">The mystery run the learner read.</param>
    /// <param name="answer">The learner's fault name; the enum's own spelling (ZeroGradBeforeStep) is accepted too.</param>
    public static Feedback Check(MysteryRun run, string? answer)
    {
        var names = string.Join(", ", LoopFaultNames.All);
        if (string.IsNullOrWhiteSpace(answer))
            return Feedback.NotAnswered(Name, $"name the fault as nbk train --fault spells it, one of: {names}.");
        var text = answer.Trim();
        var real = run.Fault;
        if (text.IndexOfAny([',', ';', '|', '+', '&']) >= 0)
            return Feedback.Fail(Name, $"'{text}' names more than one thing: the run has one fault, so give one name, e.g. \"zero-grad-before-step\".");
        if (text.Equals(LoopDoctor.Diverged, StringComparison.OrdinalIgnoreCase) || text.Equals("lr-too-high", StringComparison.OrdinalIgnoreCase))
            return Wrong(run, $"a learning rate that is too high makes the loss blow up (or go NaN), and this run's loss stays within {Pct(LossRange(run))} of its start. The fault is in the loop.");
        if (Parse(text) is not { } given)
            return Feedback.Fail(Name, $"'{text}' is not a fault name: use one of {names}.");
        if (given == real)
        {
            var evidence = LoopDoctor.Diagnose(run.Timeline, run.Info).Findings.FirstOrDefault(f => f.Name == real.Name())?.Evidence ?? Signature(real, run.Info);
            return Feedback.Pass(Name, $"{real.Name()}. The evidence: {evidence}.");
        }
        if (given == LoopFault.None)
            return Wrong(run, "this run is not healthy.");
        return Wrong(run, $"not {given.Name()}: that fault would show as {Signature(given, run.Info)}, and this timeline does not.");
    }

    static Feedback Wrong(MysteryRun run, string why)
    {
        run.WrongAnswers++;
        var hint = run.WrongAnswers switch
        {
            1 => "Read the four panels again, top to bottom, and ask of each whether a healthy run would look like that.",
            2 => $"Hint: look at {Where(run.Fault)}.",
            _ => $"What this run shows: {Signature(run.Fault, run.Info)}.",
        };
        return Feedback.Fail(Name, $"{why} {hint}");
    }

    /// <summary>Largest ratio of a loss to the first step's, minus one: how far the loss ever moved above its start.</summary>
    static double LossRange(MysteryRun run) => run.Timeline.Steps.Max(s => s.Loss) / run.Timeline.Steps[0].Loss - 1;

    static string Pct(double fraction) => $"{Math.Max(0, fraction) * 100:0}%";

    /// <summary>
    /// The fault one answer names: its kebab-case name (spaces and underscores read as hyphens) or the enum's own name, compared
    /// whole and case-insensitively; null for anything else. One name at a time: no flags arithmetic, no numbers.
    /// </summary>
    internal static LoopFault? Parse(string text)
    {
        var kebab = text.Replace('_', '-').Replace(' ', '-');
        foreach (var fault in Enum.GetValues<LoopFault>())
            if (string.Equals(fault.Name(), kebab, StringComparison.OrdinalIgnoreCase) || string.Equals(fault.ToString(), text, StringComparison.OrdinalIgnoreCase))
                return fault;
        return null;
    }
}

using NotebookKit.Faults;
using NotebookKit.Telemetry;
using NotebookKit.Training;

namespace NotebookKit.Exercises;

/// <summary>
/// Exercise: before the gallery shows them, predict for every fault the one telemetry column whose values alone tell it
/// from a healthy run (the column of its <see cref="FaultCard"/>). Each answer is one column of the timeline
/// (<see cref="TelemetryColumns"/>), checked on its own: the columns a fault does move but that do not single it out get
/// their own correction, and the hints grow more specific with each check that still finds a wrong column. The
/// instance counts those checks, so create it once, in a cell before the one that checks.
/// </summary>
public sealed class PredictTheColumnExercise
{
    const string Name = "Predict the column";

    /// <summary>For each fault, the columns a learner may well pick that do not single it out, and why.</summary>
    static readonly Dictionary<LoopFault, (string Column, string Why)[]> Rejected = new()
    {
        [LoopFault.LabelsNotShifted] =
        [
            ("val_loss", "it does rise, but a rising validation loss alone is also what overfitting looks like; the column no honest run can produce is a training loss below the entropy floor"),
        ],
        [LoopFault.SftMaskInverted] =
        [
            ("loss", "the training loss falls nicely, which is the trap: it is learning to write prompts; the loss that shows it is the one scored on responses"),
        ],
        [LoopFault.SchedulerPerMicrobatch] =
        [
            ("loss", "the loss may well look fine; the schedule's mistake shows in what the optimizer was told to use"),
            ("step", "the loop step counts optimizer steps correctly; it is the schedule that counted something else"),
        ],
        [LoopFault.EvalInTrainMode] =
        [
            ("val_loss", "it is noisier and a little worse, but one evaluation cannot show that evaluating is random; a second evaluation of the same weights can"),
        ],
        [LoopFault.GradientsNeverZeroed] =
        [
            ("grad_norm", "it does climb, but a learning rate that is too high makes it climb too (notebook 10); the column that is non-zero only when .grad was not cleared is another"),
            ("loss", "the loss may fall for a while; it does not say the gradients piled up"),
        ],
        [LoopFault.ZeroGradBeforeStep] =
        [
            ("loss", "a flat loss also comes from a learning rate of 0 or frozen weights; the column that says why is about what the optimizer received"),
            ("grad_norm", "it is measured right after backward, before zero_grad runs, so it looks normal"),
        ],
        [LoopFault.AccumulationNotDivided] =
        [
            ("loss", "the logged loss is accumulation times too large, but you only know that against the loss per target token computed on its own"),
            ("grad_norm", "it is too large, but a gradient norm has no right value to compare it with; the logged loss does, once you compute it a second way"),
        ],
        [LoopFault.MeanOfMicrobatchMeans] =
        [
            ("loss", "the curve looks normal; the error is a small gap between the logged loss and the loss per target token"),
        ],
        [LoopFault.UncountedSkips] =
        [
            ("skipped", "that is the column the fault leaves at 0: the skips are not reported"),
            ("loss_scale", "a healthy fp16 run halves its loss scale at every overflow too, and reports those skips; what this fault hides is the count of updates"),
            ("step", "it counts every pass of the loop, skipped or not: alone it cannot show a skip"),
        ],
        [LoopFault.ResumeWithoutScheduler] =
        [
            ("loss", "a bump in the loss after a resume can have many causes; the schedule's restart shows plainly in one column"),
            ("optimizer_step", "the optimizer state was restored, so its count goes on; it is the schedule's position that went back to 0"),
        ],
        [LoopFault.ResumeWithoutRngState] =
        [
            ("loss", "the curve looks fine: the model trains again on batches it has seen, which a loss cannot tell from new ones"),
            ("step", "the step counters were restored and go on; it is the data that went back to the start"),
        ],
        [LoopFault.RepeatedShards] =
        [
            ("tokens_per_s", "both ranks do the same work as healthy ranks; they only do it on the same data"),
            ("batch_fingerprint", "it hashes all ranks' items together, and no step repeats an earlier one here; the column that compares the ranks within a step is another"),
            ("tokens", "every rank counts its tokens as usual; they are the same tokens"),
        ],
    };

    /// <summary>The second hint: what the fault changes, without naming the column.</summary>
    static string Mechanism(LoopFault fault) => fault switch
    {
        LoopFault.LabelsNotShifted => "the model is asked to predict the token it is reading",
        LoopFault.SftMaskInverted => "the loss counts the prompt and masks the response",
        LoopFault.SchedulerPerMicrobatch => "the schedule advances once per microbatch",
        LoopFault.EvalInTrainMode => "dropout keeps firing while evaluating",
        LoopFault.GradientsNeverZeroed => "nothing clears .grad between steps",
        LoopFault.ZeroGradBeforeStep => "the gradients are cleared before the optimizer uses them",
        LoopFault.AccumulationNotDivided or LoopFault.MeanOfMicrobatchMeans => "the loss backpropagated is not the mean over the step's target tokens",
        LoopFault.UncountedSkips => "some updates never happen and nothing says so",
        LoopFault.ResumeWithoutScheduler => "the schedule restarts from step 0 at the resume",
        LoopFault.ResumeWithoutRngState => "the data starts over at the resume",
        LoopFault.RepeatedShards => "every rank reads the same shard",
        _ => "",
    };

    /// <summary>Checks made so far that found a wrong column; the hints get more specific with each.</summary>
    public int WrongChecks { get; private set; }

    /// <summary>
    /// Checks every prediction: the key is a fault as <c>nbk train --fault</c> spells it (the enum's own spelling is accepted
    /// too), the value one timeline column (<c>grad_norm_at_step</c>, or <c>GradNormAtStep</c> as <see cref="StepRecord"/>
    /// spells it). Passes when all twelve are right.
    /// </summary>
    public Feedback Check(IReadOnlyDictionary<string, string>? predictions)
    {
        var given = (predictions ?? new Dictionary<string, string>()).Where(p => !string.IsNullOrWhiteSpace(p.Value)).ToArray();
        if (given.Length == 0)
            return Feedback.NotAnswered(Name, $"for each fault, write the one column that exposes it, as [\"zero-grad-before-step\"] = \"<column>\"; the columns: {Columns()}.");
        var notes = new List<string>();
        var right = new HashSet<LoopFault>();
        var wrong = new List<LoopFault>();
        foreach (var (key, value) in given)
        {
            if (MysteryRunExercise.Parse(key.Trim()) is not { } fault || fault == LoopFault.None)
            {
                notes.Add($"'{key.Trim()}' is not a fault: use the names of LoopFaultNames.All, e.g. \"zero-grad-before-step\".");
                continue;
            }
            if (right.Contains(fault) || wrong.Contains(fault))
            {
                notes.Add($"{fault.Name()} is predicted twice ('{key.Trim()}'): give each fault one column.");
                continue;
            }
            var column = value.Trim();
            if (column.IndexOfAny([',', ';', '|', '+', '&', '/']) >= 0 || column.Contains(" and ", StringComparison.OrdinalIgnoreCase))
            {
                notes.Add($"{fault.Name()}: '{column}' names more than one column; give the one column that alone tells the fault from a healthy run.");
                wrong.Add(fault);
                continue;
            }
            if (ParseColumn(column) is not { } name)
            {
                notes.Add($"{fault.Name()}: '{column}' is not a timeline column; use one of {Columns()}.");
                wrong.Add(fault);
                continue;
            }
            if (name == FaultCard.Of(fault).Column)
            {
                right.Add(fault);
                continue;
            }
            wrong.Add(fault);
            var why = Rejected.GetValueOrDefault(fault, []).FirstOrDefault(r => r.Column == name).Why
                ?? $"{name} records {TelemetryColumns.Records(name)}, which does not single out {fault.Name()}";
            notes.Add($"{fault.Name()}: not {name}: {why}.");
        }
        var faults = FaultCard.All.Select(c => c.Fault).ToArray();
        if (right.Count == faults.Length && notes.Count == 0)
            return Feedback.Pass(Name, $"all {faults.Length} right: " + string.Join("; ", faults.Select(f => $"{f.Name()} -> {FaultCard.Of(f).Column}")) +
                                       ". Each card below shows the column beside the broken line.");
        if (wrong.Count > 0) WrongChecks++;
        var open = faults.Where(f => !right.Contains(f) && !wrong.Contains(f)).Select(f => f.Name()).ToArray();
        var message = $"{right.Count} of {faults.Length} right. " + string.Join(" ", notes);
        if (open.Length > 0) message += $" Not predicted yet: {string.Join(", ", open)}.";
        var hints = wrong.Distinct().Select(Hint).Where(h => h.Length > 0).ToArray();
        if (hints.Length > 0) message += " Hint: " + string.Join(" ", hints);
        return Feedback.Fail(Name, message.TrimEnd());
    }

    /// <summary>
    /// Nothing extra on the first check that finds a wrong column; from the second on, what the fault changes; from the third
    /// on, what the right column records.
    /// </summary>
    string Hint(LoopFault fault) => WrongChecks switch
    {
        <= 1 => "",
        2 => $"{fault.Name()}: {Mechanism(fault)}; which column would record that?",
        _ => $"{fault.Name()}: look for the column that records {TelemetryColumns.Records(FaultCard.Of(fault).Column)}.",
    };

    /// <summary>
    /// The column one answer names: its CSV name or <see cref="StepRecord"/>'s property name, compared without case, spaces,
    /// hyphens or underscores ("grad norm at step", "GradNormAtStep", "learning rate"); null for anything else.
    /// </summary>
    static string? ParseColumn(string text)
    {
        static string Squash(string s) => new(s.Where(char.IsLetterOrDigit).Select(char.ToLowerInvariant).ToArray());
        var wanted = Squash(text);
        // Two CSV names abbreviate their StepRecord property; the others are the property's name in snake case.
        string? Property(string column) => column switch { "lr" => nameof(StepRecord.LearningRate), "tokens_per_s" => nameof(StepRecord.TokensPerSecond), _ => null };
        return TelemetryColumns.All.Select(c => c.Name).FirstOrDefault(name => wanted.Length > 0 && (wanted == Squash(name) || Property(name) is { } p && wanted == Squash(p)));
    }

    static string Columns() => string.Join(", ", TelemetryColumns.All.Select(c => c.Name));

}

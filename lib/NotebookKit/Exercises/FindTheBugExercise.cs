namespace NotebookKit.Exercises;

/// <summary>
/// Exercise: a training loop with gradient accumulation that runs, logs a loss and never learns.
/// The learner names the line that breaks the update and the line it belongs after.
/// </summary>
public static class FindTheBugExercise
{
    const string Name = "Find the bug";

    /// <summary>The loop, one statement per line, numbered from 1. Line 6 clears the gradients after every microbatch's backward.</summary>
    public static IReadOnlyList<string> Lines { get; } =
    [
        "for step in range(steps):",
        "    for micro in range(4):",
        "        x, y = next_batch()",
        "        loss = cross_entropy(model(x), y) / 4",
        "        loss.backward()",
        "        optimizer.zero_grad()",
        "    clip_grad_norm_(model.parameters(), 1.0)",
        "    optimizer.step()",
    ];

    /// <summary>The loop as numbered lines, for display in a notebook.</summary>
    public static string Listing => string.Join('\n', Lines.Select((line, i) => $"{i + 1,2}  {line}"));

    /// <summary>
    /// Checks the learner's answer. The bug is line 6; it belongs after line 8 (clear after the update)
    /// or after line 1 (clear at the start of each step, before the first microbatch).
    /// </summary>
    /// <param name="buggyLine">The line that breaks the update.</param>
    /// <param name="belongsAfterLine">The line after which the buggy statement should run instead.</param>
    public static Feedback Check(int? buggyLine, int? belongsAfterLine)
    {
        if (buggyLine is null || belongsAfterLine is null)
            return Feedback.NotAnswered(Name, "give the number of the line that breaks the update, and the line it should come after.");
        if (buggyLine is < 1 or > 8)
            return Feedback.Fail(Name, $"the loop has lines 1 to 8; {buggyLine} is not one of them.");
        if (buggyLine != 6)
            return Feedback.Fail(Name, buggyLine switch
            {
                4 => "line 4 is right: dividing each microbatch's mean by the 4 microbatches makes their gradients add up to one batch's mean gradient. Look at what happens to .grad between backward and step.",
                5 => "line 5 is right: backward adds this microbatch's gradient into .grad. Ask what is left of it when line 8 runs.",
                7 => "line 7 is right: clipping the global norm once, after the last microbatch, is where it belongs. What norm does it see, though?",
                8 => "line 8 is right: one optimizer step per 4 microbatches. The step runs, but on which gradients?",
                _ => $"line {buggyLine} is not where the update breaks. Follow .grad from backward (line 5) to the optimizer step (line 8).",
            });
        return belongsAfterLine switch
        {
            8 or 1 => Feedback.Pass(Name, $"line 6 clears .grad after every backward, so clipping and the step see zero gradients and the weights never move. After line {belongsAfterLine} it clears them {(belongsAfterLine == 8 ? "once the update has used them" : "before the first microbatch of each step")}, and the 4 microbatches add up."),
            5 => Feedback.Fail(Name, "line 6 is the bug, but it already runs right after line 5: that is the problem. It must not run between the last backward and the step."),
            7 => Feedback.Fail(Name, "line 6 is the bug, but after line 7 it would still clear .grad before line 8: the optimizer would step on zeros."),
            2 or 3 or 4 => Feedback.Fail(Name, $"line 6 is the bug, but after line {belongsAfterLine} it stays inside the microbatch loop: each microbatch would wipe out the ones before it, and only the last quarter of the batch would train."),
            _ => Feedback.Fail(Name, $"line 6 is the bug; line {belongsAfterLine} is not a place for it. Clear .grad once per step, outside the microbatch loop: after the update, or before the first microbatch."),
        };
    }
}

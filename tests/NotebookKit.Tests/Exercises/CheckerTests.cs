using NotebookKit.Exercises;
using static NotebookKit.Exercises.StepOperation;

namespace NotebookKit.Tests.Exercises;

public class CheckerTests
{
    static readonly string[] Sentence = ["Rollback", " started", " at", " 14", ":", "18"];

    [Fact]
    public void Shift_reference_starter_and_typical_mistakes()
    {
        Assert.True(ShiftExercise.Check(Sentence, Sentence[..^1], Sentence[1..]).Passed);
        Assert.StartsWith("Not answered yet", ShiftExercise.Check(Sentence, null, null).Message);
        Assert.Contains("equal your inputs", ShiftExercise.Check(Sentence, Sentence[..^1], Sentence[..^1]).Message);
        Assert.Contains("starts with 'Rollback'", ShiftExercise.Check(Sentence, Sentence[..^1], Sentence).Message);
        Assert.Contains("include the last token '18'", ShiftExercise.Check(Sentence, Sentence, Sentence[1..]).Message);
    }

    [Fact]
    public void Loss_reference_starter_and_typical_mistakes()
    {
        double[] p = [0.02, 0.2];
        Assert.True(LossExercise.Check(p, [3.912, 1.609]).Passed);
        Assert.StartsWith("Not answered yet", LossExercise.Check(p, [0, 0]).Message);
        Assert.Contains("that is ln p", LossExercise.Check(p, [-3.912, -1.609]).Message);
        Assert.Contains("-log10 p", LossExercise.Check(p, [1.699, 0.699]).Message);
        Assert.Contains("in bits", LossExercise.Check(p, [5.644, 2.322]).Message);
    }

    [Fact]
    public void Checkpoint_list_names_what_is_missing()
    {
        Assert.True(CheckpointExercise.Check(["model weights", "optimizer state", "scheduler position", "RNG state", "data position", "step counters", "config"]).Passed);
        Assert.StartsWith("Not answered yet", CheckpointExercise.Check([]).Message);
        var weightsOnly = CheckpointExercise.Check(["model weights"]).Message;
        Assert.Contains("missing from your checkpoint list: optimizer state", weightsOnly);
        Assert.Contains("scheduler position", weightsOnly);
        var noSchedulerNoRng = CheckpointExercise.Check(["weights", "adam moments", "data position", "step", "config"]).Message;
        Assert.Contains("scheduler position", noSchedulerNoRng);
        Assert.Contains("RNG state", noSchedulerNoRng);
        Assert.DoesNotContain("data position", noSchedulerNoRng);
    }

    [Fact]
    public void Step_order_accepts_zero_grad_first_or_last_and_names_the_ordering_bug()
    {
        Assert.True(StepOrderExercise.CheckOrder([Forward, Loss, Backward, Step, ZeroGrad]).Passed);
        Assert.True(StepOrderExercise.CheckOrder([ZeroGrad, Forward, Loss, Backward, Step]).Passed);
        Assert.StartsWith("Not answered yet", StepOrderExercise.CheckOrder([]).Message);
        Assert.Contains("zero_grad ordering bug", StepOrderExercise.CheckOrder([Forward, Loss, Backward, ZeroGrad, Step]).Message);
        Assert.Contains("step comes before backward", StepOrderExercise.CheckOrder([Forward, Loss, Step, Backward, ZeroGrad]).Message);
    }

    [Fact]
    public void Gradients_exist_from_backward_until_zero_grad()
    {
        Assert.True(StepOrderExercise.CheckGradientsExist(false, true, true, false).Passed);
        Assert.StartsWith("Not answered yet", StepOrderExercise.CheckGradientsExist(null, null, null, null).Message);
        Assert.Contains("does not clear it", StepOrderExercise.CheckGradientsExist(false, true, false, false).Message);
        Assert.Contains("no gradients yet", StepOrderExercise.CheckGradientsExist(true, true, true, false).Message);
    }

    [Fact]
    public void Accumulation_and_scheduler_count()
    {
        Assert.True(AccumulationExercise.Check(96, 12, 96_000, 8, 1000).Passed);
        Assert.StartsWith("Not answered yet", AccumulationExercise.Check(96, 12, 96_000, null, null).Message);
        Assert.Contains("counts microbatches", AccumulationExercise.Check(96, 12, 96_000, 8, 8000).Message);
        Assert.Contains("make 72 sequences per update", AccumulationExercise.Check(96, 12, 96_000, 6, 1000).Message);
    }
}

public class SftMaskCheckerTests
{
    // Prompt "ab" and response "cd" as characters: ids a b c d, 3 target positions.
    // Position 0 (input a) predicts b (prompt): masked. Position 1 (input b) predicts c, the first response token: counts.
    static readonly NotebookKit.Data.SftExample Example = new("ab", "cd");
    static int[] Encode(string text) => text.Select(c => c - 'a').ToArray();

    [Fact]
    public void Reference_starter_and_typical_mistakes()
    {
        Assert.True(SftMaskExercise.Check(Example, Encode, [1, 2]).Passed);
        Assert.StartsWith("Not answered yet", SftMaskExercise.Check(Example, Encode, []).Message);
        Assert.Contains("you counted every position", SftMaskExercise.Check(Example, Encode, [0, 1, 2]).Message);
        Assert.Contains("predicts the FIRST response token", SftMaskExercise.Check(Example, Encode, [2]).Message);
    }
}

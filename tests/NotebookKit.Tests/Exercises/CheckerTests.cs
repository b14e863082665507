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

    static readonly string[] Reference = ["model weights", "optimizer state (AdamW moments)", "scheduler position", "RNG state", "data position (sampler)", "step counters", "config"];

    static string[] Replacing(string item, string answer) => Reference.Select(r => r == item ? answer : r).ToArray();

    [Fact]
    public void Checkpoint_list_passes_the_reference_and_other_plain_phrasings_and_names_what_is_missing()
    {
        Assert.True(CheckpointExercise.Check(Reference).Passed);
        Assert.True(CheckpointExercise.Check(["Parameters", "the Adam moments", "LR scheduler state", "random-generator states", "sampler_state", "global step", "hyperparameters"]).Passed);
        Assert.StartsWith("Not answered yet", CheckpointExercise.Check([]).Message);
        var starter = CheckpointExercise.Check(["model weights"]);
        Assert.False(starter.Passed);
        Assert.Contains("missing from your checkpoint list: optimizer state", starter.Message);
        Assert.Contains("scheduler position", starter.Message);
        var noSchedulerNoRng = CheckpointExercise.Check(["weights", "adam moments", "data position", "step", "config"]).Message;
        Assert.Contains("scheduler position", noSchedulerNoRng);
        Assert.Contains("RNG state", noSchedulerNoRng);
        Assert.DoesNotContain("data position", noSchedulerNoRng);
    }

    [Theory]
    [InlineData("RNG state", "seed", "a seed recreates the generator as it was at step 0")]
    [InlineData("RNG state", "random seed", "the resume-without-rng-state fault of notebook 08")]
    [InlineData("data position (sampler)", "batch size", "the batch size is part of the config")]
    [InlineData("data position (sampler)", "metadata", "too vague to restore anything from")]
    [InlineData("data position (sampler)", "training data", "the data itself stays where it is")]
    [InlineData("scheduler position", "lr", "a resume needs the scheduler's position")]
    [InlineData("scheduler position", "learning rate", "a resume needs the scheduler's position")]
    [InlineData("scheduler position", "clr", "is not one of the items this exercise knows")]
    [InlineData("scheduler position", "flr state", "is not one of the items this exercise knows")]
    [InlineData("model weights", "model", "say which part")]
    [InlineData("optimizer state (AdamW moments)", "gradients", "gradients are zeroed before the next step")]
    public void Checkpoint_list_rejects_answers_that_sound_right_and_says_why(string item, string wrong, string message)
    {
        var feedback = CheckpointExercise.Check(Replacing(item, wrong));
        Assert.False(feedback.Passed, feedback.Message);
        Assert.Contains($"missing from your checkpoint list: {item.Split(" (")[0]}", feedback.Message);
        Assert.Contains($"'{wrong}'", feedback.Message);
        Assert.Contains(message, feedback.Message);
    }

    [Fact]
    public void Checkpoint_list_needs_an_item_named_outright_not_a_word_inside_another()
    {
        // Keyword search would take each of these for a required item; whole phrases do not.
        var feedback = CheckpointExercise.Check(["model weights", "optimizer state", "scheduler position", "RNG state", "databases", "step counters", "config", "flr"]);
        Assert.False(feedback.Passed);
        Assert.Contains("missing from your checkpoint list: data position", feedback.Message);
        Assert.True(CheckpointExercise.Check([.. Reference, "seed"]).Passed, "a seed saved beside the RNG state does no harm");
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

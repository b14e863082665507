using NotebookKit.Exercises;

namespace NotebookKit.Tests.Exercises;

public class Bf16ExerciseTests
{
    [Fact]
    public void The_sums_read_as_written()
    {
        Assert.Equal(["256 + 1", "256 + 2", "1 - 0.001"], Bf16Exercise.Expressions);
    }

    [Fact]
    public void The_reference_passes()
    {
        var feedback = Bf16Exercise.Check([256, 258, 1]);
        Assert.True(feedback.Passed, feedback.Message);
        Assert.Contains("256 + 1 = 256, 256 + 2 = 258, 1 - 0.001 = 1", feedback.Message);
    }

    [Fact]
    public void The_starter_and_a_short_list_are_not_graded()
    {
        Assert.StartsWith("Not answered yet", Bf16Exercise.Check([]).Message);
        Assert.Contains("give 3 predictions", Bf16Exercise.Check([256]).Message);
    }

    [Fact]
    public void Float32_answers_are_called_float32_answers_with_the_gap()
    {
        var feedback = Bf16Exercise.Check([257, 258, 0.999]);
        Assert.False(feedback.Passed);
        Assert.Contains("256 + 1 = 257 is the float32 answer", feedback.Message);
        Assert.Contains("near 257 its numbers are 2 apart", feedback.Message);
        Assert.Contains("1 - 0.001 = 0.999 is the float32 answer", Bf16Exercise.Check([256, 258, 0.999]).Message);
        Assert.Contains("near 0.999 its numbers are 0.003906 apart", Bf16Exercise.Check([256, 258, 0.999]).Message);
    }

    [Fact]
    public void Thinking_every_small_change_vanishes_is_corrected()
    {
        var feedback = Bf16Exercise.Check([256, 256, 1]);
        Assert.Contains("256 + 2 does not vanish: near 258 bf16 numbers are 2 apart, and 258 is one of them", feedback.Message);
        Assert.Contains("is 256 in bf16", Bf16Exercise.Check([250, 258, 1]).Message);
    }
}

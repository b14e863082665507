using NotebookKit.Exercises;

namespace NotebookKit.Tests.Exercises;

public class FindTheBugTests
{
    [Fact]
    public void The_listing_numbers_every_line_and_line_6_is_the_zero_grad()
    {
        var listing = FindTheBugExercise.Listing.Split('\n');
        Assert.Equal(8, listing.Length);
        Assert.Equal(" 6          optimizer.zero_grad()", listing[5]);
    }

    [Theory]
    [InlineData(8, "once the update has used them")]
    [InlineData(1, "before the first microbatch")]
    public void Reference_answers_pass(int after, string says)
    {
        var feedback = FindTheBugExercise.Check(6, after);
        Assert.True(feedback.Passed);
        Assert.Contains(says, feedback.Message);
    }

    [Fact]
    public void Starter_is_not_answered()
    {
        Assert.StartsWith("Not answered yet", FindTheBugExercise.Check(null, null).Message);
        Assert.StartsWith("Not answered yet", FindTheBugExercise.Check(6, null).Message);
    }

    [Theory]
    [InlineData(4, 8, "dividing each microbatch's mean by the 4 microbatches")]
    [InlineData(8, 8, "on which gradients")]
    [InlineData(7, 8, "clipping the global norm once")]
    [InlineData(9, 8, "lines 1 to 8")]
    [InlineData(6, 7, "still clear .grad before line 8")]
    [InlineData(6, 5, "already runs right after line 5")]
    [InlineData(6, 3, "stays inside the microbatch loop")]
    public void Typical_wrong_answers_get_their_own_message(int line, int after, string says)
    {
        var feedback = FindTheBugExercise.Check(line, after);
        Assert.False(feedback.Passed);
        Assert.Contains(says, feedback.Message);
    }
}

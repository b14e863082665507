using NotebookKit.Exercises;
using NotebookKit.Faults;
using NotebookKit.Tests.Faults;
using NotebookKit.Training;

namespace NotebookKit.Tests.Exercises;

public class MysteryRunExerciseTests
{
    static readonly Lazy<MysteryRun> ZeroFirst = new(() =>
    {
        var (timeline, info) = TinyGallery.Create().Train(LoopFault.ZeroGradBeforeStep, "mystery run");
        return new MysteryRun(timeline, info, LoopFault.ZeroGradBeforeStep);
    });

    [Theory]
    [InlineData("zero-grad-before-step")]
    [InlineData(" ZeroGradBeforeStep ")]
    [InlineData("zero_grad_before_step")]
    public void The_right_name_passes_with_the_doctors_evidence(string answer)
    {
        var feedback = MysteryRunExercise.Check(ZeroFirst.Value, answer);
        Assert.True(feedback.Passed, feedback.Message);
        Assert.Contains("the optimizer saw a zero gradient norm on 12 of 12 steps", feedback.Message);
    }

    [Fact]
    public void The_starter_is_not_answered_and_lists_the_names()
    {
        var feedback = MysteryRunExercise.Check(ZeroFirst.Value, "");
        Assert.StartsWith("Not answered yet", feedback.Message);
        Assert.Contains("repeated-shards", feedback.Message);
    }

    [Fact]
    public void A_wrong_fault_says_what_it_would_look_like_and_where_to_look_instead()
    {
        var feedback = MysteryRunExercise.Check(ZeroFirst.Value, "gradients-never-zeroed");
        Assert.False(feedback.Passed);
        Assert.Contains("not gradients-never-zeroed: that fault would show as the grad-norm panel keeps climbing", feedback.Message);
        Assert.Contains("Look again: the loss panel stays flat", feedback.Message);
    }

    [Fact]
    public void Typical_wrong_answers_get_their_own_message()
    {
        Assert.Contains("this run is not healthy", MysteryRunExercise.Check(ZeroFirst.Value, "none").Message);
        Assert.Contains("a learning rate that is too high shows as gradient-norm spikes", MysteryRunExercise.Check(ZeroFirst.Value, "lr-too-high").Message);
        Assert.Contains("'zero grad' is not a fault name: use one of labels-not-shifted", MysteryRunExercise.Check(ZeroFirst.Value, "zero grad").Message);
        Assert.Contains("the learning-rate panel reaches its peak long before the 4 warmup steps", MysteryRunExercise.Check(ZeroFirst.Value, "scheduler-per-microbatch").Message);
    }

    [Fact]
    public void A_seeded_mystery_hides_one_of_the_candidates_and_its_own_name_passes()
    {
        var run = MysteryRun.Create(TinyGallery.Create(), seed: 3);
        Assert.Contains(run.Fault, MysteryRun.Candidates);
        Assert.Equal(run.Fault, MysteryRun.Create(TinyGallery.Create(), seed: 3).Fault);
        Assert.Equal("mystery run", run.Timeline.Name);
        Assert.True(MysteryRunExercise.Check(run, run.Fault.Name()).Passed);
    }
}

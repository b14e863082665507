using NotebookKit.Exercises;
using NotebookKit.Faults;
using NotebookKit.Tests.Faults;
using NotebookKit.Tests.Training;
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

    static MysteryRun Fresh() => new(ZeroFirst.Value.Timeline, ZeroFirst.Value.Info, LoopFault.ZeroGradBeforeStep);

    [Fact]
    public void Wrong_answers_get_hints_in_tiers_and_the_signature_only_from_the_third()
    {
        var run = Fresh();
        var first = MysteryRunExercise.Check(run, "gradients-never-zeroed");
        Assert.False(first.Passed);
        Assert.Contains("not gradients-never-zeroed: that fault would show as the grad-norm panel keeps climbing", first.Message);
        Assert.Contains("Read the four panels again", first.Message);
        Assert.DoesNotContain("stays flat", first.Message);
        var second = MysteryRunExercise.Check(run, "labels-not-shifted").Message;
        Assert.Contains("Hint: look at the loss panel, then hover a step: compare the two gradient norms", second);
        Assert.DoesNotContain("stays flat", second);
        var third = MysteryRunExercise.Check(run, "none").Message;
        Assert.Contains("this run is not healthy", third);
        Assert.Contains("What this run shows: the loss panel stays flat", third);
        Assert.True(MysteryRunExercise.Check(run, "zero-grad-before-step").Passed);
    }

    [Theory]
    [InlineData("SftMaskInverted, EvalInTrainMode", "names more than one thing")]
    [InlineData("zero-grad-before-step, labels-not-shifted", "names more than one thing")]
    [InlineData("6", "'6' is not a fault name")]
    [InlineData("zero grad", "'zero grad' is not a fault name: use one of labels-not-shifted")]
    [InlineData("ZeroGrad", "'ZeroGrad' is not a fault name")]
    public void Answers_that_are_not_one_fault_name_are_refused_without_a_hint(string answer, string message)
    {
        var run = Fresh();
        var feedback = MysteryRunExercise.Check(run, answer);
        Assert.False(feedback.Passed);
        Assert.Contains(message, feedback.Message);
        Assert.DoesNotContain("stays flat", feedback.Message);
    }

    [Fact]
    public void Typical_wrong_answers_get_their_own_message()
    {
        Assert.Contains("this run is not healthy", MysteryRunExercise.Check(Fresh(), "none").Message);
        Assert.Contains("a learning rate that is too high makes the loss blow up", MysteryRunExercise.Check(Fresh(), "diverged").Message);
        Assert.Contains("a learning rate that is too high makes the loss blow up", MysteryRunExercise.Check(Fresh(), "lr-too-high").Message);
        Assert.Contains("the learning-rate panel reaches its peak long before the 4 warmup steps", MysteryRunExercise.Check(Fresh(), "scheduler-per-microbatch").Message);
    }

    [Fact]
    public void Every_candidate_shows_the_same_settings_and_the_doctor_names_it_from_the_timeline()
    {
        // Notebook 10's mystery setup: 2 layers, width 32, 16 characters, 60 steps of 8 windows.
        var gallery = new FaultGallery(TinyRun.Model(), FaultRuns.Base with { BatchSize = 8, MaxIters = 60 }, TorchSharp.torch.CPU);
        var runs = MysteryRun.Candidates.Select(f => (Fault: f, Run: gallery.Train(f, "mystery run", MysteryRun.Accumulation))).ToArray();
        Assert.Single(runs.Select(r => r.Run.Info).Distinct());
        Assert.Equal(MysteryRun.Accumulation, runs[0].Run.Info.Accumulation);
        var misread = runs.Select(r => (r.Fault, Diagnosis: LoopDoctor.Diagnose(r.Run.Timeline, r.Run.Info)))
            .Where(r => !r.Diagnosis.Names.SequenceEqual([r.Fault.Name()])).Select(r => $"{r.Fault.Name()}: {r.Diagnosis}");
        Assert.Empty(misread);
    }

    [Fact]
    public void The_learners_seed_is_stable_and_seeds_spread_over_the_candidates()
    {
        Assert.Equal(MysteryRun.LearnerSeed(), MysteryRun.LearnerSeed());
        Assert.True(MysteryRun.LearnerSeed() >= 0);
        Assert.Equal(MysteryRun.Candidates.Count, Enumerable.Range(1, 200).Select(MysteryRun.Pick).Distinct().Count());
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

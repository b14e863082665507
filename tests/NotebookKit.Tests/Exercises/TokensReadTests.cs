using NotebookKit.Exercises;
using NotebookKit.Model;
using NotebookKit.Telemetry;
using NotebookKit.Tests.Training;
using NotebookKit.Training;
using static TorchSharp.torch;

namespace NotebookKit.Tests.Exercises;

public class TokensReadTests
{
    /// <summary>A real run of 3 steps of 2 windows of 8 characters: it read 3 x 2 x 8 = 48 input characters.</summary>
    static readonly Lazy<(RunLog Log, ModelConfig Model, TrainConfig Config)> Run = new(() =>
    {
        var model = TinyRun.Model() with { BlockSize = 8 };
        var config = TinyRun.Config with { BatchSize = 2, MaxIters = 3, WarmupIters = 1, EvalEvery = 3, EvalIters = 1 };
        using var trainer = new Trainer(model, config, TinyRun.Data(), CPU);
        return (trainer.Train(), model, config);
    });

    static Feedback Check(long? answer) => TokensReadExercise.Check(Run.Value.Log, Run.Value.Model, Run.Value.Config, answer);

    [Fact]
    public void The_reference_count_passes()
    {
        var feedback = Check(48);
        Assert.True(feedback.Passed, feedback.Message);
        Assert.StartsWith("48 = 3 steps x 2 windows x 8 characters", feedback.Message);
    }

    [Fact]
    public void The_starter_is_not_answered() => Assert.StartsWith("Not answered yet", Check(null).Message);

    [Theory]
    [InlineData(6, "6 counts windows; each window is 8 characters long")]
    [InlineData(16, "16 is what one step reads; the run took 3 steps")]
    [InlineData(54, "a window of 9 gives 8 inputs and 8 targets")]
    [InlineData(24, "a step reads 2 windows (the batch)")]
    [InlineData(42, "one input short per window")]
    [InlineData(1000, "1,000 is more than the run read")]
    public void Plausible_slips_get_their_own_correction(long answer, string expected)
    {
        var feedback = Check(answer);
        Assert.False(feedback.Passed);
        Assert.Contains(expected, feedback.Message);
    }
}

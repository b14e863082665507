using NotebookKit.Training;

namespace NotebookKit.Tests.Training;

public class LearningRateTests
{
    // Max 1e-3, floor 1e-4, warmup 100, decay to step 1000. Expected values computed by hand:
    // warmup: 1e-3 * (s + 1) / 101; cosine: 1e-4 + 0.5 * (1 + cos(pi * (s - 100) / 900)) * 9e-4.
    [Theory]
    [InlineData(0, 9.900990099009901e-6)]
    [InlineData(49, 4.9504950495049505e-4)]
    [InlineData(99, 9.900990099009901e-4)]
    [InlineData(100, 1e-3)]
    [InlineData(550, 5.5e-4)]
    [InlineData(1000, 1e-4)]
    [InlineData(5000, 1e-4)]
    public void Warmup_then_cosine_then_floor(long step, double expected)
    {
        var schedule = new LearningRate(Max: 1e-3, Min: 1e-4, WarmupSteps: 100, DecaySteps: 1000);
        Assert.Equal(expected, schedule.At(step), 12);
    }

    [Fact]
    public void Cosine_falls_monotonically_after_warmup()
    {
        var schedule = new LearningRate(1e-3, 1e-4, 10, 200);
        var rates = Enumerable.Range(10, 191).Select(s => schedule.At(s)).ToArray();
        Assert.All(rates.Zip(rates.Skip(1)), pair => Assert.True(pair.Second <= pair.First));
    }
}

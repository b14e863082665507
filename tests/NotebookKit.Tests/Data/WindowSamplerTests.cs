using NotebookKit.Data;
using NotebookKit.Runtime;
using TorchSharp;

namespace NotebookKit.Tests.Data;

public class WindowSamplerTests
{
    static readonly int[] Stream = Enumerable.Range(0, 1000).Select(i => i % 97).ToArray();

    [Fact]
    public void Targets_are_inputs_shifted_by_one()
    {
        Workbench.Seed(0);
        var ids = Enumerable.Range(0, 200).ToArray(); // token value = its position
        var sampler = new WindowSampler(ids, blockSize: 8, batchSize: 4, seed: 3);
        var starts = sampler.PeekStarts();
        using var batch = sampler.Next(torch.CPU);
        for (var b = 0; b < 4; b++)
        {
            Assert.Equal(Enumerable.Range(starts[b], 8).Select(i => (long)i), batch.Inputs[b].data<long>().ToArray());
            Assert.Equal(Enumerable.Range(starts[b] + 1, 8).Select(i => (long)i), batch.Targets[b].data<long>().ToArray());
        }
    }

    [Fact]
    public void Restored_state_continues_with_the_identical_batches()
    {
        var straight = new WindowSampler(Stream, blockSize: 16, batchSize: 4, seed: 42);
        for (var i = 0; i < 5; i++) straight.Next(torch.CPU).Dispose();
        var saved = straight.State;
        var expected = Enumerable.Range(0, 3).Select(_ => straight.PeekStartsAndAdvance()).ToArray();

        var fresh = new WindowSampler(Stream, blockSize: 16, batchSize: 4, seed: 42);
        fresh.Restore(saved);
        Assert.Equal(5, fresh.State.Drawn);
        var actual = Enumerable.Range(0, 3).Select(_ => fresh.PeekStartsAndAdvance()).ToArray();
        Assert.Equal(expected, actual);

        var otherSeed = new WindowSampler(Stream, blockSize: 16, batchSize: 4, seed: 43);
        otherSeed.Restore(saved with { Seed = 43 });
        Assert.NotEqual(expected[0], otherSeed.PeekStarts());
    }

    [Fact]
    public void Two_ranks_draw_disjoint_windows()
    {
        const int T = 16;
        var rank0 = new WindowSampler(Stream, blockSize: T, batchSize: 8, seed: 7, rank: 0, worldSize: 2);
        var rank1 = new WindowSampler(Stream, blockSize: T, batchSize: 8, seed: 7, rank: 1, worldSize: 2);
        var covered0 = new HashSet<int>();
        var covered1 = new HashSet<int>();
        for (var step = 0; step < 50; step++)
        {
            foreach (var s in rank0.PeekStartsAndAdvance()) covered0.UnionWith(Enumerable.Range(s, T + 1));
            foreach (var s in rank1.PeekStartsAndAdvance()) covered1.UnionWith(Enumerable.Range(s, T + 1));
        }
        Assert.Empty(covered0.Intersect(covered1));
        Assert.True(covered0.Max() < 500 && covered1.Min() >= 500);

        var error = Assert.Throws<ArgumentException>(() => rank0.Restore(rank1.State));
        Assert.Contains("rank 1 of 2", error.Message);
    }
}

static class SamplerSteps
{
    /// <summary>The starts of the next batch, then draws it (and frees its tensors).</summary>
    public static int[] PeekStartsAndAdvance(this WindowSampler sampler)
    {
        var starts = sampler.PeekStarts();
        sampler.Next(torch.CPU).Dispose();
        return starts;
    }
}

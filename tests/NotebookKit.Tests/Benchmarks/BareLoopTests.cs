using NotebookKit.Benchmarks;
using NotebookKit.Data;
using NotebookKit.Precision;
using NotebookKit.Tests.Training;
using NotebookKit.Training;
using static TorchSharp.torch;

namespace NotebookKit.Tests.Benchmarks;

public class BareLoopTests
{
    // Like for like: the benchmark only means something if both loops do the same training. Both get the
    // same starting weights and the same batches here, whatever either draws from the random generator.
    // The library divides a float32 sum by the step's token count, the bare loop takes cross_entropy's
    // mean, and the library takes the gradient norm over one flat buffer where clip_grad_norm_ combines
    // per-tensor norms, so the losses agree to float32 rounding rather than bit for bit. In bf16-mixed a
    // last-bit difference in a float32 master can flip the rounding of its bfloat16 copy (steps of 2^-8),
    // and over 8 steps at this high learning rate such flips add up to about 1e-4 of the loss, hence the
    // wider tolerance there.
    [Theory]
    [InlineData(PrecisionMode.Fp32, 1e-5)]
    [InlineData(PrecisionMode.Bf16Mixed, 1e-3)]
    [InlineData(PrecisionMode.Bf16, 1e-2)]
    public void Bare_loop_and_library_step_compute_the_same_losses(PrecisionMode precision, double tolerance)
    {
        // A clip that bites on the first steps and a warmup still under way: both loops must apply them alike.
        var config = TinyRun.Config with { Precision = precision, ClipNorm = 0.5, LearningRate = 1e-2 };
        var sampler = new WindowSampler(TinyRun.Data().Train, TinyRun.Model().BlockSize, config.BatchSize, seed: 11);
        var batches = Enumerable.Range(0, 8).Select(_ => sampler.Next(CPU)).ToArray();
        using var trainer = new Trainer(TinyRun.Model(), config, _ => new FixedBatches(batches), new FixedBatches(batches), CPU);
        using var loop = new BareLoop(TinyRun.Model(), config with { Seed = config.Seed + 1 }, new FixedBatches(batches), CPU);
        loop.Model.load_state_dict(trainer.Model.state_dict());
        var library = Enumerable.Range(0, 8).Select(_ => trainer.Step().Loss).ToArray();
        var bare = Enumerable.Range(0, 8).Select(_ => loop.Step()).ToArray();

        Assert.True(library[^1] < library[0] - 0.1, $"the run must learn for the comparison to mean anything: {library[0]} -> {library[^1]}");
        for (var i = 0; i < library.Length; i++)
            Assert.True(Math.Abs(library[i] - bare[i]) <= tolerance * library[i], $"step {i + 1}: library {library[i]}, bare {bare[i]}");
    }

    [Fact]
    public void Bare_loop_takes_one_microbatch_per_step()
    {
        var error = Assert.Throws<ArgumentException>(() => new BareLoop(TinyRun.Model(), TinyRun.Config with { Accumulation = 4 }, new FixedBatches([]), CPU));
        Assert.Contains("accumulation 4", error.Message);
    }
}

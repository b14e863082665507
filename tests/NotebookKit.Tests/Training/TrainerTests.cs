using System.Text.Json;
using NotebookKit.Training;

namespace NotebookKit.Tests.Training;

public class TrainerTests
{
    [Fact]
    public void Same_seed_gives_the_same_first_20_losses_bit_for_bit()
    {
        double[] Run()
        {
            using var trainer = new Trainer(TinyRun.Model(dropout: 0.1), TinyRun.Config, TinyRun.Data(), TorchSharp.torch.CPU);
            return trainer.Train(20).Steps.Select(s => s.Loss).ToArray();
        }
        var first = Run();
        var second = Run();
        Assert.Equal(first.Select(BitConverter.DoubleToInt64Bits), second.Select(BitConverter.DoubleToInt64Bits));
    }

    [Fact]
    public void Loss_falls_from_uniform_guess_and_validation_is_recorded()
    {
        using var trainer = new Trainer(TinyRun.Model(), TinyRun.Config with { MaxIters = 100, LearningRate = 5e-3, MinLearningRate = 5e-4 }, TinyRun.Data(), TorchSharp.torch.CPU);
        var log = trainer.Train();
        Assert.InRange(log.Steps[0].Loss, Math.Log(TinyRun.VocabSize) - 0.2, Math.Log(TinyRun.VocabSize) + 0.2);
        Assert.True(log.Steps[^1].Loss < 0.6 * log.Steps[0].Loss, $"loss went from {log.Steps[0].Loss} to {log.Steps[^1].Loss}");
        Assert.Equal(10, log.Steps.Count(s => s.ValLoss is not null));
        Assert.All(log.Steps, s => Assert.Equal(s.Step, s.OptimizerStep));
        Assert.All(log.Steps, s => Assert.True(s.Mfu > 0 && s.TokensPerSecond > 0));
    }

    [Fact]
    public void Validation_loss_by_position_averages_to_the_validation_loss_and_falls_with_context()
    {
        using var trainer = new Trainer(TinyRun.Model(), TinyRun.Config with { MaxIters = 100, LearningRate = 5e-3, MinLearningRate = 5e-4 }, TinyRun.Data(), TorchSharp.torch.CPU);
        trainer.Train();
        var byPosition = trainer.EvaluateByPosition();
        Assert.Equal(TinyRun.Model().BlockSize, byPosition.Length);
        Assert.Equal(trainer.Evaluate(), byPosition.Average(), 9);
        // Position 0 sees one character; the last position sees a whole line of the repeating log.
        Assert.True(byPosition[0] > 2 * byPosition[^1], $"position 0: {byPosition[0]}, last: {byPosition[^1]}");
    }

    [Fact]
    public void Full_context_losses_score_every_token_once_with_the_context_of_its_window()
    {
        using var trainer = new Trainer(TinyRun.Model(), TinyRun.Config, TinyRun.Data(), TorchSharp.torch.CPU);
        trainer.Train(10);
        var ids = TinyRun.Data().Validation;
        const int block = 16;
        // Surprise of token start + position + 1 given the window that starts at start, one forward per window.
        double Surprise(int start, int position)
        {
            using var _ = TorchSharp.torch.no_grad();
            trainer.Model.eval();
            var window = TorchSharp.torch.tensor(ids[start..(start + block)].Select(i => (long)i).ToArray()).reshape(1, block);
            var logProbs = TorchSharp.torch.nn.functional.log_softmax(trainer.Model.call(window), 2);
            return -logProbs[0, position, ids[start + position + 1]].item<float>();
        }
        var targets = Enumerable.Range(1, ids.Length - 1).ToArray();

        // Stride 1: the first window scores its own targets, then each token is the last target of the window ending at it.
        var stride1 = targets.Select(i => i <= block ? Surprise(0, i - 1) : Surprise(i - block, block - 1)).ToArray();
        var losses = trainer.FullContextLosses(ids, stride: 1);
        Assert.Equal(ids.Length - 1, losses.Length);
        for (var i = 0; i < losses.Length; i++) Assert.True(Math.Abs(stride1[i] - losses[i]) < 1e-5, $"token {i + 1}: {losses[i]} against {stride1[i]} by hand");
        Assert.Equal(stride1.Average(), trainer.EvaluateFullContext(ids, stride: 1), 5);

        // Stride = block: disjoint windows, and one last window for the 15 targets after the last whole one.
        var lastStart = ids.Length - 1 - block;
        var wholeWindows = (ids.Length - 1) / block * block;
        var disjoint = targets.Select(i => i <= wholeWindows ? Surprise((i - 1) / block * block, (i - 1) % block) : Surprise(lastStart, i - lastStart - 1)).Average();
        Assert.Equal(disjoint, trainer.EvaluateFullContext(ids, stride: block), 5);

        var error = Assert.Throws<ArgumentException>(() => trainer.EvaluateFullContext(ids, stride: 17));
        Assert.Contains("stride 17 must be between 1 and the block size 16", error.Message);
    }

    [Fact]
    public void Eight_microbatches_of_4_give_the_gradient_norm_of_one_batch_of_32()
    {
        // The sampler is counter-based, so 8 x 4 windows are exactly the 32 windows of the big batch.
        double FirstNorm(int batch, int accumulation)
        {
            using var trainer = new Trainer(TinyRun.Model(), TinyRun.Config with { BatchSize = batch, Accumulation = accumulation }, TinyRun.Data(), TorchSharp.torch.CPU);
            var record = trainer.Step();
            Assert.Equal(32L * 16, record.Tokens);
            return record.GradNorm;
        }
        var full = FirstNorm(32, 1);
        var accumulated = FirstNorm(4, 8);
        Assert.True(Math.Abs(full - accumulated) <= 1e-6 * full, $"full batch {full}, accumulated {accumulated}");
    }

    [Fact]
    public void Clipping_reports_the_norm_before_clipping()
    {
        using var trainer = new Trainer(TinyRun.Model(), TinyRun.Config with { ClipNorm = 1e-3 }, TinyRun.Data(), TorchSharp.torch.CPU);
        var record = trainer.Step();
        Assert.True(record.Clipped);
        Assert.True(record.GradNorm > 1e-3);
        Assert.Equal(1e-3, record.GradNormAtStep, 6);
    }

    [Fact]
    public void Bad_settings_name_the_value()
    {
        var error = Assert.Throws<ArgumentException>(() => new Trainer(TinyRun.Model() with { Heads = 3 }, TinyRun.Config, TinyRun.Data()));
        Assert.Contains("heads 3 do not divide width 32", error.Message);
        error = Assert.Throws<ArgumentException>(() => new Trainer(TinyRun.Model(), TinyRun.Config with { LearningRate = -1 }, TinyRun.Data()));
        Assert.Contains("learning rate -1", error.Message);
    }

    [Fact]
    public void Saved_settings_name_a_fault_only_when_one_is_on()
    {
        var healthy = JsonSerializer.Serialize(TinyRun.Config);
        var faulty = JsonSerializer.Serialize(TinyRun.Config with { Fault = LoopFault.GradientsNeverZeroed });
        Assert.DoesNotContain("Fault", healthy, StringComparison.Ordinal);
        Assert.Equal(TinyRun.Config, JsonSerializer.Deserialize<TrainConfig>(healthy));
        Assert.Equal(LoopFault.GradientsNeverZeroed, JsonSerializer.Deserialize<TrainConfig>(faulty)!.Fault);
    }
}

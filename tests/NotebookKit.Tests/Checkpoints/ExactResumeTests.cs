using NotebookKit.Checkpoints;
using NotebookKit.Precision;
using NotebookKit.Telemetry;
using NotebookKit.Tests.Training;
using static TorchSharp.torch;

namespace NotebookKit.Tests.Checkpoints;

public class ExactResumeTests
{
    [Theory]
    [InlineData(PrecisionMode.Fp32)]
    [InlineData(PrecisionMode.Bf16)]
    [InlineData(PrecisionMode.Bf16Mixed)]
    [InlineData(PrecisionMode.Fp16Mixed)]
    public void N_steps_save_resume_N_steps_equals_2N_straight_bit_for_bit(PrecisionMode precision)
    {
        using var run = new ResumeRun(precision);
        var straight = run.Straight();
        var checkpoint = run.FirstHalf();

        using var resumed = Checkpoint.Resume(checkpoint, TinyRun.Data(), device: CPU);
        Assert.Equal(ResumeRun.N, resumed.StepCount);
        var steps = resumed.Train().Steps;

        // The resumed log holds the first half from telemetry.csv and the second half trained now; all of it must match.
        Assert.Equal(2 * ResumeRun.N, steps.Count);
        Assert.Equal(Bits(straight, s => s.Loss), Bits(steps, s => s.Loss));
        Assert.Equal(Bits(straight, s => s.LearningRate), Bits(steps, s => s.LearningRate));
        Assert.Equal(Bits(straight, s => s.GradNorm), Bits(steps, s => s.GradNorm));
        Assert.Equal(Bits(straight, s => s.LossScale), Bits(steps, s => s.LossScale));
        Assert.Equal(straight.Select(s => (s.Step, s.OptimizerStep, s.Tokens, s.Skipped)), steps.Select(s => (s.Step, s.OptimizerStep, s.Tokens, s.Skipped)));
        // The losses moved, so the comparison is not between constants.
        Assert.NotEqual(steps[ResumeRun.N].Loss, steps[^1].Loss);
    }

    [Fact]
    public void Fp16_resume_carries_the_loss_scale_and_its_clean_step_count()
    {
        // Growth every 3 clean steps: the scale doubles at step 3 and 6, and the count of clean steps
        // since must carry over the resume at step 6 for the doubling at step 9 to happen on time.
        using var run = new ResumeRun(PrecisionMode.Fp16Mixed);
        var straight = run.Straight();
        var checkpoint = run.FirstHalf();
        var manifest = Checkpoint.Read(checkpoint);
        // A record carries the scale its step used; the checkpoint carries the one the next step will use.
        Assert.Equal(straight[ResumeRun.N].LossScale, manifest.LossScale);
        Assert.Contains(straight, s => s.LossScale != straight[0].LossScale);

        using var resumed = Checkpoint.Resume(checkpoint, TinyRun.Data(), device: CPU);
        Assert.Equal(manifest.GoodSteps, resumed.Precision.GoodSteps);
        Assert.Equal(Bits(straight, s => s.LossScale), Bits(resumed.Train().Steps, s => s.LossScale));
    }

    [Fact]
    public void Saving_every_step_changes_nothing_in_the_run()
    {
        using var run = new ResumeRun();
        var straight = run.Straight();
        using var trainer = run.NewTrainer();
        trainer.Train(onStep: _ => Checkpoint.Save(trainer, run.Directory, TinyRun.Alphabet, keep: 2));
        Assert.Equal(Bits(straight, s => s.Loss), Bits(trainer.Log.Steps, s => s.Loss));
        Assert.Equal(Bits(straight, s => s.GradNorm), Bits(trainer.Log.Steps, s => s.GradNorm));
    }

    static long[] Bits(IReadOnlyList<StepRecord> steps, Func<StepRecord, double> value) =>
        steps.Select(s => BitConverter.DoubleToInt64Bits(value(s))).ToArray();
}

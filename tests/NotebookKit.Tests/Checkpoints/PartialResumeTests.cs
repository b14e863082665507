using NotebookKit.Checkpoints;
using NotebookKit.Faults;
using NotebookKit.Tests.Training;
using NotebookKit.Training;
using static TorchSharp.torch;

namespace NotebookKit.Tests.Checkpoints;

public class PartialResumeTests
{
    [Fact]
    public void Without_the_scheduler_position_the_learning_rate_restarts_at_the_first_warmup_value()
    {
        using var run = new ResumeRun();
        var checkpoint = run.FirstHalf();
        using var resumed = Checkpoint.Resume(checkpoint, TinyRun.Data(), new ResumeOptions(SchedulerPosition: false), CPU);
        var first = resumed.Step();
        Assert.Equal(run.Config.Schedule.At(0), first.LearningRate);
        Assert.NotEqual(run.Config.Schedule.At(ResumeRun.N), first.LearningRate);
        // The other counters still say where the run was.
        Assert.Equal(ResumeRun.N + 1, first.Step);
        Assert.Equal(ResumeRun.N + 1, first.OptimizerStep);
    }

    [Fact]
    public void Without_rng_and_data_position_the_first_batch_and_the_generator_repeat_the_run_start()
    {
        using var run = new ResumeRun();
        using var fresh = run.NewTrainer();
        var firstBatch = NextInputs(fresh);
        using var startState = get_rng_state();
        var checkpoint = run.FirstHalf();

        using var exact = Checkpoint.Resume(checkpoint, TinyRun.Data(), ResumeOptions.Exact, CPU);
        Assert.NotEqual(firstBatch, NextInputs(exact));
        using (var saved = get_rng_state()) Assert.False(saved.equal(startState).all().item<bool>());

        using var partial = Checkpoint.Resume(checkpoint, TinyRun.Data(), ResumeDrill.OptionsFor(LoopFault.ResumeWithoutRngState), CPU);
        Assert.Equal(firstBatch, NextInputs(partial));
        using (var now = get_rng_state()) Assert.True(now.equal(startState).all().item<bool>(), "the generator should be where a fresh run starts");
        Assert.Equal(1, partial.Samplers[0].State.Drawn);
    }

    [Fact]
    public void Without_optimizer_state_the_first_update_differs_but_not_the_step_before_it()
    {
        using var run = new ResumeRun();
        var checkpoint = run.FirstHalf();
        using var exact = Checkpoint.Resume(checkpoint, TinyRun.Data(), device: CPU);
        var exactSteps = exact.Train(2).Steps;
        using var cold = Checkpoint.Resume(checkpoint, TinyRun.Data(), new ResumeOptions(OptimizerState: false), CPU);
        var coldSteps = cold.Train(2).Steps;

        // Same weights, batch and dropout masks: the loss and gradient of step N+1 agree bit for bit...
        Assert.Equal(exactSteps[ResumeRun.N].Loss, coldSteps[ResumeRun.N].Loss);
        Assert.Equal(exactSteps[ResumeRun.N].GradNorm, coldSteps[ResumeRun.N].GradNorm);
        // ...but the update of step N+1 came from an empty Adam state, so step N+2 starts from other weights.
        Assert.NotEqual(exactSteps[ResumeRun.N + 1].Loss, coldSteps[ResumeRun.N + 1].Loss);
    }

    [Fact]
    public void Without_the_data_position_only_the_batches_repeat()
    {
        using var run = new ResumeRun();
        using var fresh = run.NewTrainer();
        var firstBatch = NextInputs(fresh);
        var checkpoint = run.FirstHalf();
        using var resumed = Checkpoint.Resume(checkpoint, TinyRun.Data(), new ResumeOptions(DataPosition: false), CPU);
        Assert.Equal(firstBatch, NextInputs(resumed));
        Assert.Equal(run.Config.Schedule.At(ResumeRun.N), resumed.Step().LearningRate);
    }

    /// <summary>The token ids of the next batch of rank 0 (drawing it).</summary>
    static long[] NextInputs(Trainer trainer)
    {
        using var batch = trainer.Samplers[0].Next(CPU);
        return batch.Inputs.data<long>().ToArray();
    }

    [Fact]
    public void A_plain_restore_is_exact_whatever_the_fault_and_the_drill_resumes_as_the_fault_says()
    {
        using var run = new ResumeRun();
        var checkpoint = run.FirstHalf();
        var config = run.Config with { Fault = LoopFault.ResumeWithoutScheduler };
        Trainer Build() => new(ResumeRun.Model, config, TinyRun.Data(), CPU);
        using (var plain = Build())
        {
            Checkpoint.Restore(plain, checkpoint, TinyRun.Alphabet);
            Assert.Equal(ResumeRun.N, plain.SchedulerPosition);
        }

        var first = Build();
        first.Train(ResumeRun.N);
        using var drilled = ResumeDrill.Resume(first, Build, TinyRun.Alphabet);
        Assert.Equal(ResumeRun.N, drilled.StepCount);
        Assert.Equal(0, drilled.SchedulerPosition);
        Assert.Equal(config.Schedule.At(0), drilled.Step().LearningRate);
    }

    [Theory]
    [InlineData(LoopFault.None, "exact")]
    [InlineData(LoopFault.ResumeWithoutScheduler, "without scheduler position")]
    [InlineData(LoopFault.ResumeWithoutRngState, "without RNG state, data position")]
    public void Resume_faults_name_what_they_leave_out(LoopFault fault, string expected) =>
        Assert.Equal(expected, ResumeDrill.OptionsFor(fault).ToString());
}

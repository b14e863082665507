using NotebookKit.Runtime;
using NotebookKit.Training;

namespace NotebookKit.Faults;

/// <summary>
/// A restart in the middle of a run, done in place: the trainer keeps what a checkpoint restored and
/// loses what it did not, exactly as a fresh process would. The weights and the optimizer's moments
/// always survive (they are the same objects); what the resume faults leave out goes back to the value
/// a fresh start has.
/// </summary>
public static class ResumeDrill
{
    /// <summary>
    /// Resumes <paramref name="trainer"/> as its <see cref="TrainConfig.Fault"/> says. Healthy (any fault but
    /// the two resume faults): everything was restored, nothing changes, the run continues exactly.
    /// <see cref="LoopFault.ResumeWithoutScheduler"/>: the schedule position restarts at 0, so warmup runs again.
    /// <see cref="LoopFault.ResumeWithoutRngState"/>: torch's generator is reseeded with the run's seed and every
    /// data source goes back to its first batch, so batches and dropout masks repeat from the start.
    /// </summary>
    public static void Resume(Trainer trainer)
    {
        switch (trainer.Config.Fault)
        {
            case LoopFault.ResumeWithoutScheduler:
                trainer.SchedulerPosition = 0;
                break;
            case LoopFault.ResumeWithoutRngState:
                Workbench.Seed(trainer.Config.Seed);
                foreach (var source in trainer.Samplers) source.Restore(source.State with { Drawn = 0 });
                break;
        }
    }

    /// <summary>
    /// Trains to <see cref="TrainConfig.MaxIters"/>, resuming halfway through when the fault is a resume fault,
    /// so one call reproduces any fault end to end.
    /// </summary>
    public static Telemetry.RunLog Train(Trainer trainer, Action<Telemetry.StepRecord>? onStep = null)
    {
        if (FaultSetup.NeedsResume(trainer.Config.Fault))
        {
            trainer.Train(trainer.Config.MaxIters / 2 - trainer.StepCount, onStep);
            Resume(trainer);
        }
        return trainer.Train(onStep: onStep);
    }
}

using NotebookKit.Checkpoints;
using NotebookKit.Telemetry;
using NotebookKit.Training;

namespace NotebookKit.Faults;

/// <summary>
/// A restart in the middle of a run, through a real checkpoint: save, throw the trainer away, build a fresh one
/// and restore it with the <see cref="ResumeOptions"/> its fault names (<see cref="ResumeOptions.For"/>), exactly
/// what a new process resuming the run would do. Healthy runs restore everything and continue bit for bit.
/// </summary>
public static class ResumeDrill
{
    /// <summary>
    /// Trains the run <paramref name="build"/> makes to its end. For <see cref="LoopFault.ResumeWithoutScheduler"/> and
    /// <see cref="LoopFault.ResumeWithoutRngState"/> it stops after half of <see cref="TrainConfig.MaxIters"/> and
    /// continues in a trainer resumed from a checkpoint (see <see cref="Resume"/>), so one call reproduces any fault.
    /// </summary>
    /// <param name="build">Builds the run's trainer; called again for the resume.</param>
    /// <param name="vocabulary">The tokenizer's alphabet, saved with the checkpoint and checked on restore.</param>
    /// <param name="onStep">Called after every step.</param>
    /// <returns>The trainer that finished the run (its log holds every step); the caller disposes it.</returns>
    public static Trainer Train(Func<Trainer> build, string vocabulary, Action<StepRecord>? onStep = null)
    {
        var trainer = build();
        if (FaultSetup.NeedsResume(trainer.Config.Fault))
        {
            trainer.Train(trainer.Config.MaxIters / 2, onStep);
            trainer = Resume(trainer, build, vocabulary);
        }
        trainer.Train(onStep: onStep);
        return trainer;
    }

    /// <summary>
    /// Saves <paramref name="trainer"/> as a checkpoint in a temporary folder, disposes it, and restores a fresh
    /// <paramref name="build"/>() from the checkpoint with the options of its <see cref="TrainConfig.Fault"/>.
    /// The folder is deleted afterwards.
    /// </summary>
    /// <returns>The resumed trainer; the caller disposes it.</returns>
    public static Trainer Resume(Trainer trainer, Func<Trainer> build, string vocabulary)
    {
        var directory = Directory.CreateTempSubdirectory("nbk-resume-").FullName;
        try
        {
            string checkpoint;
            using (trainer) checkpoint = Checkpoint.Save(trainer, directory, vocabulary);
            var resumed = build();
            try
            {
                Checkpoint.Restore(resumed, checkpoint, vocabulary, ResumeOptions.For(resumed.Config.Fault));
                return resumed;
            }
            catch
            {
                resumed.Dispose();
                throw;
            }
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}

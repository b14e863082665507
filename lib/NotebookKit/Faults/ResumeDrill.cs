using NotebookKit.Checkpoints;
using NotebookKit.Telemetry;
using NotebookKit.Training;

namespace NotebookKit.Faults;

/// <summary>
/// A restart in the middle of a run, through a real checkpoint: save, throw the trainer away, build a fresh one
/// and restore it with the <see cref="ResumeOptions"/> its fault names (<see cref="OptionsFor"/>), exactly
/// what a new process resuming the run would do. Healthy runs restore everything and continue bit for bit.
/// </summary>
public static class ResumeDrill
{
    /// <summary>Whether the fault happens at a resume, so the run must stop and resume halfway.</summary>
    public static bool Needed(LoopFault fault) => fault is LoopFault.ResumeWithoutScheduler or LoopFault.ResumeWithoutRngState;

    /// <summary>
    /// The resume a <see cref="LoopFault"/> describes: <see cref="LoopFault.ResumeWithoutScheduler"/> leaves out the
    /// scheduler position, <see cref="LoopFault.ResumeWithoutRngState"/> the RNG state and the data position; any other
    /// value resumes exactly.
    /// </summary>
    public static ResumeOptions OptionsFor(LoopFault fault) => fault switch
    {
        LoopFault.ResumeWithoutScheduler => new(SchedulerPosition: false),
        LoopFault.ResumeWithoutRngState => new(RngState: false, DataPosition: false),
        _ => ResumeOptions.Exact,
    };

    /// <summary>
    /// Trains the run <paramref name="build"/> makes to its end. For <see cref="LoopFault.ResumeWithoutScheduler"/> and
    /// <see cref="LoopFault.ResumeWithoutRngState"/> it stops after half of <see cref="TrainConfig.MaxIters"/> and
    /// continues in a trainer resumed from a checkpoint (see <see cref="Resume"/>), so one call reproduces any fault.
    /// </summary>
    /// <param name="build">Builds the run's trainer; called again for the resume.</param>
    /// <param name="vocabulary">The tokenizer's alphabet, saved with the checkpoint and checked on restore.</param>
    /// <param name="onStep">Called after every step.</param>
    /// <returns>The trainer that finished the run (its log holds every step); the caller disposes it.</returns>
    public static Trainer Train(Func<Trainer> build, string vocabulary, Action<StepRecord>? onStep = null) =>
        Train(build(), build, vocabulary, (trainer, steps) => trainer.Train(steps, onStep));

    /// <summary>
    /// Trains <paramref name="trainer"/> to its end with <paramref name="train"/>; under a resume fault, a trainer that has
    /// not yet reached half of <see cref="TrainConfig.MaxIters"/> trains to the half, is resumed through a checkpoint
    /// (<see cref="Resume"/>) and the resumed one trains on.
    /// </summary>
    /// <param name="trainer">The run, fresh or restored from the user's own checkpoint.</param>
    /// <param name="build">Builds a fresh trainer of the same run, for the resume.</param>
    /// <param name="vocabulary">The tokenizer's alphabet, saved with the checkpoint and checked on restore.</param>
    /// <param name="train">Trains a trainer for the given number of steps, or to its end when null.</param>
    /// <returns>The trainer that finished the run; <paramref name="trainer"/> itself is disposed when it was replaced.</returns>
    public static Trainer Train(Trainer trainer, Func<Trainer> build, string vocabulary, Action<Trainer, int?> train)
    {
        var half = trainer.Config.MaxIters / 2;
        if (Needed(trainer.Config.Fault) && trainer.StepCount < half)
        {
            train(trainer, half - trainer.StepCount);
            trainer = Resume(trainer, build, vocabulary);
        }
        train(trainer, null);
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
                Checkpoint.Restore(resumed, checkpoint, vocabulary, OptionsFor(resumed.Config.Fault));
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

namespace NotebookKit.Exercises;

/// <summary>Exercise: pick the accumulation factor and the scheduler's step count for a target effective batch.</summary>
public static class AccumulationExercise
{
    const string Name = "Accumulation and the schedule";

    /// <summary>
    /// Checks the learner's accumulation factor and the number of scheduler steps for a run of
    /// <paramref name="totalSequences"/> sequences with an effective batch of <paramref name="targetBatch"/>
    /// built from microbatches of <paramref name="microBatch"/>.
    /// </summary>
    public static Feedback Check(int targetBatch, int microBatch, long totalSequences, int? accumulation, long? schedulerSteps)
    {
        if (accumulation is null || schedulerSteps is null || accumulation == 0)
            return Feedback.NotAnswered(Name, "set the accumulation factor and how many steps the learning-rate schedule counts.");
        var expectedAccumulation = targetBatch / microBatch;
        var optimizerSteps = totalSequences / targetBatch;
        var microbatches = totalSequences / microBatch;
        if (accumulation * microBatch != targetBatch)
            return Feedback.Fail(Name, $"{accumulation} microbatches of {microBatch} make {accumulation * microBatch} sequences per update, not {targetBatch}: accumulation = {targetBatch} / {microBatch}.");
        if (schedulerSteps == microbatches)
            return Feedback.Fail(Name, $"{microbatches} counts microbatches. The schedule counts optimizer steps: with {microbatches} the warmup would end {expectedAccumulation}x too early and the decay would never reach its floor.");
        if (schedulerSteps != optimizerSteps)
            return Feedback.Fail(Name, $"the schedule should count optimizer updates: {totalSequences} sequences / {targetBatch} per update = {optimizerSteps}.");
        return Feedback.Pass(Name, $"{expectedAccumulation} microbatches per update and {optimizerSteps} scheduler steps: the schedule follows optimizer steps, not microbatches.");
    }
}

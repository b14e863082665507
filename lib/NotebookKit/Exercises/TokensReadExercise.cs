using NotebookKit.Model;
using NotebookKit.Telemetry;
using NotebookKit.Training;

namespace NotebookKit.Exercises;

/// <summary>
/// Exercise: from a run's settings alone, how many tokens it read as inputs, counting a token again each time a window
/// covers it. The answer is checked against the counter the trainer kept (the timeline's <c>tokens</c> column), and the
/// usual slips (windows instead of tokens, one step instead of the run, the target's extra token) get their own word.
/// </summary>
public static class TokensReadExercise
{
    const string Name = "Count what the run read";

    /// <summary>Checks <paramref name="answer"/> against the last step's <see cref="StepRecord.Tokens"/> of <paramref name="log"/>.</summary>
    /// <param name="log">The finished run.</param>
    /// <param name="model">Its model shape (the block size is the window length).</param>
    /// <param name="config">Its settings (batch, accumulation, ranks).</param>
    /// <param name="answer">The learner's count; null while unanswered.</param>
    public static Feedback Check(RunLog log, ModelConfig model, TrainConfig config, long? answer)
    {
        if (answer is not { } given || given == 0)
            return Feedback.NotAnswered(Name, "set tokensRead to the number of input characters the run read, worked out from the parameters.");
        if (log.Steps.Count == 0)
            return Feedback.Fail(Name, "the run has no steps yet: run the training cell first.");
        var read = log.Steps[^1].Tokens;
        var steps = (long)log.Steps.Count;
        var windowsPerStep = (long)config.BatchSize * config.Accumulation * config.Ranks;
        var block = (long)model.BlockSize;
        if (given == read)
            return Feedback.Pass(Name, $"{read:N0} = {steps} steps x {windowsPerStep} windows x {block} characters, as the timeline's tokens column counts. " +
                                       "Windows start at random places, so some characters were read several times and others never.");
        var why = given switch
        {
            _ when given == steps * windowsPerStep => $"{given:N0} counts windows; each window is {block} characters long",
            _ when given == windowsPerStep * block => $"{given:N0} is what one step reads; the run took {steps} steps",
            _ when given == steps * windowsPerStep * (block + 1) => $"{given:N0} counts {block + 1} characters per window: a window of {block + 1} gives {block} inputs and {block} targets, and the inputs are what was read",
            _ when given == steps * block => $"{given:N0} reads one window per step; a step reads {windowsPerStep} windows (the batch)",
            _ when given == steps * windowsPerStep * (block - 1) => $"{given:N0} is one input short per window: {block} inputs are read and each predicts the character after it",
            _ => $"{given:N0} is {(given > read ? "more" : "fewer")} than the run read; multiply what one window holds by the windows of one step and by the steps",
        };
        return Feedback.Fail(Name, why + ".");
    }
}

using NotebookKit.Data;

namespace NotebookKit.Exercises;

/// <summary>Exercise: say which target positions of an SFT example count in the loss.</summary>
public static class SftMaskExercise
{
    const string Name = "Mask an SFT example";

    /// <summary>
    /// Checks the learner's list of counted target positions for <paramref name="example"/> tokenized
    /// by <paramref name="encode"/>, against <see cref="SftExample.ToView"/>.
    /// </summary>
    public static Feedback Check(SftExample example, Func<string, int[]> encode, IReadOnlyCollection<int>? countedPositions)
    {
        if (countedPositions is null || countedPositions.Count == 0)
            return Feedback.NotAnswered(Name, "list the target positions that count in the loss (position t predicts token t + 1).");
        var view = example.ToView(encode);
        var expected = Enumerable.Range(0, view.Length).Where(t => view.Counted[t]).ToArray();
        var given = countedPositions.Distinct().Order().ToArray();
        if (given.SequenceEqual(expected))
            return Feedback.Pass(Name, $"positions {expected[0]} to {expected[^1]} count: they predict the response. The prompt is context, not something to learn.");
        var promptLength = encode(example.Prompt).Length;
        var firstCounted = promptLength - 1;
        if (given.Length == view.Length)
            return Feedback.Fail(Name, "you counted every position, prompt included: the model would be trained to write prompts. Mask the positions that predict prompt tokens.");
        if (given.Any(t => t < firstCounted))
            return Feedback.Fail(Name, $"position {given.First(t => t < firstCounted)} predicts a prompt token and must be masked; only positions from {firstCounted} on predict the response.");
        if (!given.Contains(firstCounted))
            return Feedback.Fail(Name, $"position {firstCounted} reads the last prompt token and predicts the FIRST response token: it counts, or the model never learns how to start its answer.");
        if (given.Any(t => t >= view.Length))
            return Feedback.Fail(Name, $"there are only {view.Length} target positions (0 to {view.Length - 1}): the last token has nothing after it to predict.");
        return Feedback.Fail(Name, $"some response positions are missing: every position from {firstCounted} to {view.Length - 1} predicts a response token and counts.");
    }
}

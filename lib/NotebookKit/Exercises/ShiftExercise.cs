namespace NotebookKit.Exercises;

/// <summary>Exercise: write the shifted input/target pair of a short sentence.</summary>
public static class ShiftExercise
{
    const string Name = "Shift a sentence";

    /// <summary>Checks <paramref name="inputs"/> and <paramref name="targets"/> against the tokens of the sentence.</summary>
    /// <param name="tokens">The sentence's tokens, e.g. ["Rollback", " started", " at", " ", "14", ":18"].</param>
    /// <param name="inputs">The learner's inputs: every token but the last.</param>
    /// <param name="targets">The learner's targets: every token but the first.</param>
    public static Feedback Check(IReadOnlyList<string> tokens, IReadOnlyList<string>? inputs, IReadOnlyList<string>? targets)
    {
        if (inputs is null || targets is null || inputs.Count == 0 || targets.Count == 0)
            return Feedback.NotAnswered(Name, "fill in both arrays: inputs are the tokens the model reads, targets the token it must predict at each position.");
        var expectedInputs = tokens.Take(tokens.Count - 1).ToArray();
        var expectedTargets = tokens.Skip(1).ToArray();
        if (inputs.SequenceEqual(expectedInputs) && targets.SequenceEqual(expectedTargets))
            return Feedback.Pass(Name, $"{tokens.Count} tokens give {tokens.Count - 1} predictions: at each position the target is the next token.");
        if (targets.SequenceEqual(inputs))
            return Feedback.Fail(Name, "your targets equal your inputs: the model would only have to copy what it reads. The target at position t is the input at t + 1.");
        if (targets.Count > 0 && targets[0] == tokens[0])
            return Feedback.Fail(Name, $"your target sequence starts with '{tokens[0]}', which the model already reads at position 0. The target is the input shifted left by one: it starts with '{tokens[1]}'.");
        if (inputs.Count == tokens.Count)
            return Feedback.Fail(Name, $"your inputs include the last token '{tokens[^1]}', which has no next token to predict: inputs stop one token before the end.");
        if (inputs.Count != targets.Count)
            return Feedback.Fail(Name, $"you have {inputs.Count} inputs and {targets.Count} targets: every input position needs exactly one target.");
        if (!inputs.SequenceEqual(expectedInputs))
            return Feedback.Fail(Name, $"the inputs should be the tokens in order without the last one: {string.Join(" | ", expectedInputs)}.");
        return Feedback.Fail(Name, $"the targets should be the tokens in order without the first one, so position 0 ('{tokens[0]}') predicts '{tokens[1]}'.");
    }
}

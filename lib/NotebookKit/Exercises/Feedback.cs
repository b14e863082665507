namespace NotebookKit.Exercises;

/// <summary>
/// A checker's answer: passed or not, and one specific sentence about what to change. Checkers
/// never throw on a wrong or unfinished answer, so a notebook with an open exercise still runs.
/// </summary>
/// <param name="Exercise">Which exercise this is about, e.g. "Shift a sentence".</param>
/// <param name="Passed">Whether the answer is right.</param>
/// <param name="Message">What is right, or precisely what is wrong and how to fix it.</param>
public sealed record Feedback(string Exercise, bool Passed, string Message)
{
    internal static Feedback Pass(string exercise, string message) => new(exercise, true, message);
    internal static Feedback Fail(string exercise, string message) => new(exercise, false, message);
    internal static Feedback NotAnswered(string exercise, string what) => new(exercise, false, $"Not answered yet: {what}");

    /// <summary>"✓ exercise: message" or "✗ exercise: message".</summary>
    public override string ToString() => $"{(Passed ? "✓" : "✗")} {Exercise}: {Message}";
}

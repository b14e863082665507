using System.Net;

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

    /// <summary>
    /// A green or amber box with the exercise and the message (escaped). Its class is
    /// <c>nbk-feedback pass</c> or <c>nbk-feedback fail</c>, so a report can be searched for open exercises.
    /// </summary>
    public string ToHtml() =>
        $"<div class=\"nbk-feedback {(Passed ? "pass" : "fail")}\" style=\"border-left:4px solid {(Passed ? "#2e7d32" : "#ef6c00")};" +
        $"background:{(Passed ? "#edf7ed" : "#fff4e5")};padding:6px 10px;margin:4px 0;font-family:system-ui,sans-serif\">" +
        $"<b>{(Passed ? "✓" : "✗")} {WebUtility.HtmlEncode(Exercise)}</b>: {WebUtility.HtmlEncode(Message)}</div>";

    /// <summary>"✓ exercise: message" or "✗ exercise: message".</summary>
    public override string ToString() => $"{(Passed ? "✓" : "✗")} {Exercise}: {Message}";
}

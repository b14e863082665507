using System.Net;

namespace NotebookKit.Interactive;

/// <summary>
/// A statement a notebook makes about the run it just did, checked by code. It displays as a
/// green line when it holds; when it does not, it throws, so the cell fails and a lesson that has
/// stopped being true fails CI instead of quietly showing the wrong picture.
/// </summary>
/// <param name="Statement">What the lesson claims, in the words the learner reads, with the measured numbers.</param>
public sealed record Claim(string Statement)
{
    /// <summary>Returns the claim for display when <paramref name="holds"/>; otherwise throws a <see cref="ClaimFailedException"/> naming it.</summary>
    /// <param name="holds">The check, e.g. <c>Math.Abs(end - start) &lt; 0.01 * start</c>.</param>
    /// <param name="statement">What is claimed, with the numbers that decide it.</param>
    public static Claim That(bool holds, string statement) =>
        holds ? new Claim(statement) : throw new ClaimFailedException($"The notebook claims: {statement} — but the run says otherwise.");

    /// <summary>A green check line.</summary>
    public string ToHtml() =>
        $"<div class=\"nbk-claim\" style=\"color:#2e7d32;font-family:system-ui,sans-serif;margin:2px 0\">✓ {WebUtility.HtmlEncode(Statement)}</div>";

    /// <summary>"✓ statement".</summary>
    public override string ToString() => $"✓ {Statement}";
}

/// <summary>A notebook's claim did not hold for the run it made.</summary>
public sealed class ClaimFailedException(string message) : Exception(message);

using System.Globalization;
using System.Net;
using System.Text.Json;

namespace NotebookKit.Interactive;

/// <summary>
/// A statement a notebook makes about the run it just did, checked by code. It displays as a
/// green line when it holds; when it does not, it throws, so the cell fails and a lesson that has
/// stopped being true fails CI instead of quietly showing the wrong picture.
/// </summary>
/// <remarks>
/// A claim about measured numbers is made of <see cref="Bound"/>s (a value, a limit, a side), so how far
/// it was from failing is known, not just that it held. When the environment variable
/// <see cref="LogVariable"/> names a file, every claim, held or not, appends one JSON line per bound to it;
/// <c>nbk sweep</c> reads those lines to report each claim's margin over seeds, threads and CPU kernels.
/// </remarks>
/// <param name="Statement">What the lesson claims, in the words the learner reads, with the measured numbers.</param>
public sealed record Claim(string Statement)
{
    /// <summary>The environment variable naming the file claims append their margins to (unset: nothing is written).</summary>
    public const string LogVariable = "NBK_CLAIM_LOG";

    /// <summary>
    /// A claim with no margin to measure: an exact fact such as "bit for bit equal" or "these are the right names".
    /// Returns the claim for display when <paramref name="holds"/>; otherwise throws a <see cref="ClaimFailedException"/> naming it.
    /// A claim about a measured number should use <see cref="That(string, Bound[])"/> instead, so its margin can be reported.
    /// </summary>
    /// <param name="holds">The check, e.g. <c>resumed.SequenceEqual(straight)</c>.</param>
    /// <param name="statement">What is claimed, with the numbers that decide it.</param>
    public static Claim That(bool holds, string statement)
    {
        Record(statement, [new Bound("exact", holds ? 1 : 0, 0.5, MustExceed: true)]);
        return holds ? new Claim(statement) : throw Failed(statement, "");
    }

    /// <summary>
    /// A claim about measured numbers: it holds when every bound holds. Returns the claim for display, or throws a
    /// <see cref="ClaimFailedException"/> naming the bounds that failed with their values and limits.
    /// </summary>
    /// <param name="statement">What is claimed, with the numbers that decide it.</param>
    /// <param name="bounds">The checks, e.g. <c>Bound.Above("loss drop", start - end, 0.5)</c>; at least one.</param>
    /// <exception cref="ArgumentException">No bounds were given.</exception>
    public static Claim That(string statement, params Bound[] bounds)
    {
        if (bounds.Length == 0) throw new ArgumentException($"the claim '{statement}' has no bounds: give at least one Bound.Above or Bound.Below");
        Record(statement, bounds);
        var failed = bounds.Where(b => !b.Holds).ToArray();
        return failed.Length == 0 ? new Claim(statement) : throw Failed(statement, " (" + string.Join("; ", failed.Select(b => b.ToString())) + ")");
    }

    /// <summary>A green check line.</summary>
    public string ToHtml() =>
        $"<div class=\"nbk-claim\" style=\"color:#2e7d32;font-family:system-ui,sans-serif;margin:2px 0\">✓ {WebUtility.HtmlEncode(Statement)}</div>";

    /// <summary>"✓ statement".</summary>
    public override string ToString() => $"✓ {Statement}";

    static ClaimFailedException Failed(string statement, string detail) =>
        new($"The notebook claims: {statement} — but the run says otherwise{detail}.");

    static void Record(string statement, Bound[] bounds)
    {
        if (Environment.GetEnvironmentVariable(LogVariable) is not { Length: > 0 } path) return;
        var lines = bounds.Select(b => JsonSerializer.Serialize(new ClaimRecord(statement, b.Quantity, b.Value, b.Limit, b.MustExceed, b.Holds, b.Margin)));
        File.AppendAllLines(path, lines);
    }
}

/// <summary>One line of the claim log (see <see cref="Claim.LogVariable"/>): a bound of a claim and how it came out.</summary>
/// <param name="Statement">The claim's statement as displayed (with this run's numbers).</param>
/// <param name="Quantity">What the bound measures, the same words on every run, so runs can be grouped by it.</param>
/// <param name="Value">The measured value (1 or 0 for an exact claim).</param>
/// <param name="Limit">The value it had to pass.</param>
/// <param name="MustExceed">True when the value had to be above the limit, false when below.</param>
/// <param name="Holds">Whether the bound held.</param>
/// <param name="Margin">How far from failing, as a fraction of the limit (see <see cref="Bound.Margin"/>); negative when it failed.</param>
public sealed record ClaimRecord(string Statement, string Quantity, double Value, double Limit, bool MustExceed, bool Holds, double Margin);

/// <summary>
/// One measured number of a claim and the limit it must pass: <c>Bound.Above("grad norm peak / early", 18.2, 5)</c>.
/// </summary>
/// <param name="Quantity">What is measured, in words that do not change from run to run (no numbers).</param>
/// <param name="Value">The measured value.</param>
/// <param name="Limit">The limit it must pass.</param>
/// <param name="MustExceed">True: the value must be above the limit; false: below it.</param>
public readonly record struct Bound(string Quantity, double Value, double Limit, bool MustExceed)
{
    /// <summary>The value must be greater than the limit.</summary>
    public static Bound Above(string quantity, double value, double limit) => new(quantity, value, limit, MustExceed: true);

    /// <summary>The value must be less than the limit.</summary>
    public static Bound Below(string quantity, double value, double limit) => new(quantity, value, limit, MustExceed: false);

    /// <summary>Whether the value is on the right side of the limit (a NaN value never is).</summary>
    public bool Holds => MustExceed ? Value > Limit : Value < Limit;

    /// <summary>
    /// How far the value is from the limit, on the side it must be, as a fraction of the limit's size: 0.25 means
    /// the value could move 25% of the limit before the bound fails; negative when it failed. A limit of 0 gives the
    /// plain difference. NaN counts as failed by the whole limit (-1).
    /// </summary>
    public double Margin
    {
        get
        {
            if (double.IsNaN(Value)) return -1;
            var room = MustExceed ? Value - Limit : Limit - Value;
            return Limit == 0 ? room : room / Math.Abs(Limit);
        }
    }

    /// <summary>"quantity 5.87 above 5.61 (margin 4.6%)".</summary>
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{Quantity} {Value:G4} {(MustExceed ? "above" : "below")} {Limit:G4} (margin {Margin:0.0%})");
}

/// <summary>A notebook's claim did not hold for the run it made.</summary>
public sealed class ClaimFailedException(string message) : Exception(message);

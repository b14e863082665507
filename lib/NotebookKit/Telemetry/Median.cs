namespace NotebookKit.Telemetry;

/// <summary>
/// The middle of a set of figures. Timings and loss tails are read by their median, which a few outliers
/// (a neighbour's build, one spiky batch) do not move.
/// </summary>
public static class Median
{
    /// <summary>The middle value; the mean of the two middle values for an even count; NaN for none.</summary>
    public static double Of(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        var mid = sorted.Length / 2;
        return sorted.Length == 0 ? double.NaN : sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }
}

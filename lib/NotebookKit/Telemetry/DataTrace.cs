using System.Globalization;

namespace NotebookKit.Telemetry;

/// <summary>
/// What a step's data looked like, reduced to numbers a timeline can hold: how much the simulated ranks
/// overlapped, and a fingerprint that repeats only when the same items are trained on again.
/// </summary>
public static class DataTrace
{
    /// <summary>
    /// Fraction of the items drawn in one step that more than one rank drew: 0 when the ranks' shards
    /// are disjoint, 1 when every rank drew exactly the same items.
    /// </summary>
    /// <param name="keysPerRank">Item identities each rank drew this step (see <see cref="Data.IBatchSource.PeekKeys"/>).</param>
    public static double RankOverlap(IReadOnlyList<IReadOnlyList<long>> keysPerRank)
    {
        var total = keysPerRank.Sum(keys => keys.Count);
        if (keysPerRank.Count < 2 || total == 0) return 0;
        var ranksPerKey = keysPerRank
            .SelectMany((keys, rank) => keys.Distinct().Select(key => (key, rank)))
            .GroupBy(p => p.key)
            .ToDictionary(g => g.Key, g => g.Count());
        var shared = keysPerRank.Sum(keys => keys.Count(key => ranksPerKey[key] > 1));
        return (double)shared / total;
    }

    /// <summary>FNV-1a over the item identities in draw order, as 16 hex digits. Equal fingerprints mean the same items in the same order.</summary>
    public static string Fingerprint(IEnumerable<long> keys)
    {
        var hash = 14695981039346656037UL;
        foreach (var key in keys)
            for (var shift = 0; shift < 64; shift += 8)
                hash = (hash ^ (byte)((ulong)key >> shift)) * 1099511628211UL;
        return hash.ToString("x16", CultureInfo.InvariantCulture);
    }
}

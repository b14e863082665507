namespace NotebookKit.Data;

/// <summary>
/// Counter-based randomness for the samplers: draw <c>i</c> depends only on (seed, i), so a sampler's
/// whole state is how many draws it has made and a restored sampler continues bit for bit.
/// </summary>
static class CounterHash
{
    /// <summary>A value in 0 to <paramref name="count"/> - 1 for draw <paramref name="counter"/> under <paramref name="seed"/>.</summary>
    public static int Pick(long seed, long counter, int count) =>
        (int)(SplitMix64((ulong)seed ^ SplitMix64((ulong)counter)) % (ulong)count);

    /// <summary>SplitMix64 finaliser: a well-mixed 64-bit hash.</summary>
    static ulong SplitMix64(ulong x)
    {
        x += 0x9E3779B97F4A7C15UL;
        x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9UL;
        x = (x ^ (x >> 27)) * 0x94D049BB133111EBUL;
        return x ^ (x >> 31);
    }
}

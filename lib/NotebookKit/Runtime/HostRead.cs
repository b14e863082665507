using static TorchSharp.torch;

namespace NotebookKit.Runtime;

/// <summary>
/// Copies tensor values back to the host. On a GPU every such read waits until all queued work is done, so the
/// training path reads through here, once per step, and a test counts the reads (<see cref="Count"/>).
/// </summary>
internal static class HostRead
{
    static long _count;

    /// <summary>Reads made so far by this process.</summary>
    internal static long Count => Interlocked.Read(ref _count);

    /// <summary>Every element of <paramref name="values"/> as float64, in one read.</summary>
    internal static double[] Doubles(Tensor values)
    {
        Interlocked.Increment(ref _count);
        using var host = values.to(ScalarType.Float64).cpu();
        return host.data<double>().ToArray();
    }

    /// <summary>A single value as float64.</summary>
    internal static double Double(Tensor value) => Doubles(value)[0];

    /// <summary>A single value as int64 (exact, unlike a trip through float64 beyond 2^53).</summary>
    internal static long Long(Tensor value)
    {
        Interlocked.Increment(ref _count);
        return value.to(ScalarType.Int64).item<long>();
    }
}

using System.Diagnostics;
using TorchSharp;
using static TorchSharp.torch;

namespace NotebookKit.Runtime;

/// <summary>
/// What this machine can do: the matmul rate measured in this process, the denominator of
/// model FLOPs utilisation (MFU). Measured rather than looked up, because a laptop, a shared CI
/// runner and a GPU differ by orders of magnitude and no table knows which one a learner has.
/// </summary>
public static class MatmulPeak
{
    static readonly Dictionary<string, double> Measured = [];

    /// <summary>
    /// GFLOP/s of a square matmul (1024 wide where the type is fast enough) in <paramref name="dtype"/> (float32 unless given) on
    /// <paramref name="device"/>, the best of several timed repeats after a warm-up; measured once
    /// per device and type per process. Low-precision training is measured against its own type's
    /// peak: CPUs with bfloat16 instructions and GPUs with tensor cores multiply 16-bit numbers
    /// several times faster than float32 ones.
    /// </summary>
    public static double Gflops(Device device, ScalarType dtype = ScalarType.Float32)
    {
        lock (Measured)
        {
            var key = $"{device} {dtype}";
            if (!Measured.TryGetValue(key, out var gflops))
                Measured[key] = gflops = Measure(device, dtype);
            return gflops;
        }
    }

    /// <summary>
    /// Measures the rate again, bypassing the cache, and returns the new measurement. On a shared
    /// machine one measurement can land in a neighbour's burst; a benchmark measures before and after
    /// its runs and keeps the higher.
    /// </summary>
    public static double Measure(Device device, ScalarType dtype = ScalarType.Float32)
    {
        using var _ = no_grad();
        var generator = new Generator(0, device);
        // 1024 x 1024 unless one such multiply would take over 50 ms: float16 on a CPU without 16-bit arithmetic runs at a
        // few GFLOP/s, and 24 multiplies of that size would take most of a minute. A smaller matrix runs a little below
        // the peak, so there MFU reads slightly high.
        var probe = Rate(generator, device, dtype, n: 256, repeats: 2);
        var n = Math.Clamp((int)Math.Cbrt(0.05 * probe * 1e9 / 2) / 64 * 64, 128, 1024);
        return Rate(generator, device, dtype, n, repeats: 6);
    }

    /// <summary>GFLOP/s of the fastest of <paramref name="repeats"/> - 1 timed rounds of four n x n multiplies; the first round warms up.</summary>
    static double Rate(Generator generator, Device device, ScalarType dtype, int n, int repeats)
    {
        using var scope = NewDisposeScope();
        var a = rand(n, n, generator: generator, device: device).to(dtype);
        var b = rand(n, n, generator: generator, device: device).to(dtype);
        var best = double.MaxValue;
        for (var repeat = 0; repeat < repeats; repeat++)
        {
            var clock = Stopwatch.StartNew();
            for (var i = 0; i < 4; i++) a.matmul(b).Dispose();
            if (device.type == DeviceType.CUDA) cuda.synchronize();
            if (repeat > 0) best = Math.Min(best, clock.Elapsed.TotalSeconds / 4);
        }
        return 2.0 * n * n * n / best / 1e9;
    }
}

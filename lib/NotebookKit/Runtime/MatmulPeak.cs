using System.Diagnostics;
using TorchSharp;
using static TorchSharp.torch;

namespace NotebookKit.Runtime;

/// <summary>
/// What this machine can do: the float32 matmul rate measured in this process, the denominator of
/// model FLOPs utilisation (MFU). Measured rather than looked up, because a laptop, a shared CI
/// runner and a GPU differ by orders of magnitude and no table knows which one a learner has.
/// </summary>
public static class MatmulPeak
{
    static readonly Dictionary<string, double> Measured = [];

    /// <summary>
    /// GFLOP/s of a large square float32 matmul on <paramref name="device"/>, the best of several
    /// timed repeats after a warm-up; measured once per device per process.
    /// </summary>
    public static double Gflops(Device device)
    {
        lock (Measured)
        {
            var key = device.ToString();
            if (!Measured.TryGetValue(key, out var gflops))
                Measured[key] = gflops = Measure(device);
            return gflops;
        }
    }

    static double Measure(Device device)
    {
        using var scope = NewDisposeScope();
        const int n = 1024;
        using var _ = no_grad();
        var generator = new Generator(0, device);
        var a = rand(n, n, generator: generator, device: device);
        var b = rand(n, n, generator: generator, device: device);
        var best = double.MaxValue;
        for (var repeat = 0; repeat < 6; repeat++)
        {
            var clock = Stopwatch.StartNew();
            for (var i = 0; i < 4; i++) a.matmul(b).Dispose();
            if (device.type == DeviceType.CUDA) cuda.synchronize();
            if (repeat > 0) best = Math.Min(best, clock.Elapsed.TotalSeconds / 4); // repeat 0 warms up
        }
        return 2.0 * n * n * n / best / 1e9;
    }
}

using NotebookKit.Runtime;

namespace NotebookKit.Precision;

/// <summary>
/// What <c>--precision auto</c> trains in: bf16-mixed where the processor has bfloat16 matrix units, fp32 everywhere
/// else, with the reason in one line.
/// </summary>
/// <remarks>
/// bf16-mixed costs rounding (notebook 07) and a float32 master copy, so it must buy a large speed-up to be worth it.
/// AMX-BF16 tile units (Intel Xeon from Sapphire Rapids on) run bfloat16 matrix products several times faster than
/// float32. AVX512-BF16 alone (AMD Zen 4, Intel Cooper Lake) adds bfloat16 dot-product instructions but not the tiles:
/// on a Zen 4 machine bf16-mixed trained the default model at 1.0-1.2x the speed of fp32 (BENCHMARKS.md), within the
/// run-to-run noise, so auto keeps fp32 there. On CUDA auto keeps fp32 too: no CUDA build has been measured yet.
/// The choice depends on the processor only, never on a timing, so two runs on one machine always train alike.
/// </remarks>
public static class AutoPrecision
{
    /// <summary>The mode auto picks and why, in words a log line can carry.</summary>
    /// <param name="cuda">Training runs on a CUDA device.</param>
    /// <param name="cpuFlags">The processor's feature flags as Linux names them in /proc/cpuinfo (amx_bf16, avx512_bf16, ...); empty when unknown.</param>
    public static (PrecisionMode Mode, string Reason) Choose(bool cuda, IReadOnlyCollection<string> cpuFlags)
    {
        if (cuda) return (PrecisionMode.Fp32, "on CUDA auto keeps fp32 (pass --precision bf16-mixed to try it)");
        if (cpuFlags.Contains("amx_bf16")) return (PrecisionMode.Bf16Mixed, "this CPU has AMX-BF16 matrix units, which run bfloat16 products several times faster than float32");
        if (cpuFlags.Contains("avx512_bf16")) return (PrecisionMode.Fp32, "this CPU has AVX512-BF16 but no AMX-BF16 matrix units: bf16-mixed is barely faster here and rounds more");
        if (cpuFlags.Count == 0) return (PrecisionMode.Fp32, "this system does not list its CPU features (no /proc/cpuinfo), so auto keeps fp32");
        return (PrecisionMode.Fp32, "this CPU has no bfloat16 matrix instructions");
    }

    /// <summary>The mode auto picks on this machine and why.</summary>
    /// <param name="cuda">Training runs on a CUDA device.</param>
    public static (PrecisionMode Mode, string Reason) ForThisMachine(bool cuda) => Choose(cuda, CpuInfo.Read().Flags);
}

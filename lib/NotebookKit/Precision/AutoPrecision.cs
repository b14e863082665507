using NotebookKit.Runtime;

namespace NotebookKit.Precision;

/// <summary>
/// What <c>--precision auto</c> trains in: bf16-mixed where the processor has bfloat16 matrix instructions that oneDNN
/// may use, fp32 everywhere else, with the reason in one line.
/// </summary>
/// <remarks>
/// bf16-mixed costs rounding (notebook 07) and a float32 master copy, so it must buy a clear speed-up to be worth it.
/// AVX512-BF16 (AMD Zen 4, Intel Cooper Lake and later) adds bfloat16 dot-product instructions, and AMX-BF16 tile
/// units (Intel Xeon from Sapphire Rapids on) run bfloat16 matrix products several times faster than float32. On two
/// Zen 4 cores bf16-mixed trained the default model 1.75-1.9x as fast as fp32 once attention was written out in bfloat16
/// (see <see cref="Model.CausalSelfAttention"/> and BENCHMARKS.md). Without those instructions bfloat16 products are
/// emulated, so auto keeps fp32; it does the same when ONEDNN_MAX_CPU_ISA holds oneDNN below them (the setting that
/// imitates an older CPU). On CUDA auto keeps fp32: no CUDA build has been measured yet.
/// The choice depends on the processor and that setting only, never on a timing, so two runs on one machine always
/// train alike.
/// </remarks>
public static class AutoPrecision
{
    /// <summary>oneDNN instruction-set limits (ONEDNN_MAX_CPU_ISA) that stop short of bfloat16 dot products.</summary>
    static readonly string[] IsasWithoutBf16 = ["SSE41", "AVX", "AVX2", "AVX2_VNNI", "AVX512_CORE", "AVX512_CORE_VNNI"];

    /// <summary>The mode auto picks and why, in words a log line can carry.</summary>
    /// <param name="cuda">Training runs on a CUDA device.</param>
    /// <param name="cpuFlags">The processor's feature flags as Linux names them in /proc/cpuinfo (amx_bf16, avx512_bf16, ...); empty when unknown.</param>
    /// <param name="onednnMaxIsa">The ONEDNN_MAX_CPU_ISA setting, or null when it is not set.</param>
    public static (PrecisionMode Mode, string Reason) Choose(bool cuda, IReadOnlyCollection<string> cpuFlags, string? onednnMaxIsa = null)
    {
        if (cuda) return (PrecisionMode.Fp32, "on CUDA auto keeps fp32 (pass --precision bf16-mixed to try it)");
        if (cpuFlags.Count == 0) return (PrecisionMode.Fp32, "this system does not list its CPU features (no /proc/cpuinfo), so auto keeps fp32");
        var amx = cpuFlags.Contains("amx_bf16");
        if (!amx && !cpuFlags.Contains("avx512_bf16")) return (PrecisionMode.Fp32, "this CPU has no bfloat16 matrix instructions");
        if (onednnMaxIsa is { Length: > 0 } isa && IsasWithoutBf16.Contains(isa, StringComparer.OrdinalIgnoreCase))
            return (PrecisionMode.Fp32, $"ONEDNN_MAX_CPU_ISA={isa} keeps oneDNN from this CPU's bfloat16 instructions");
        return amx
            ? (PrecisionMode.Bf16Mixed, "this CPU has AMX-BF16 matrix units, which run bfloat16 products several times faster than float32")
            : (PrecisionMode.Bf16Mixed, "this CPU has AVX512-BF16 instructions, which run bfloat16 products about twice as fast as float32");
    }

    /// <summary>The mode auto picks on this machine and why.</summary>
    /// <param name="cuda">Training runs on a CUDA device.</param>
    public static (PrecisionMode Mode, string Reason) ForThisMachine(bool cuda) =>
        Choose(cuda, CpuInfo.Read().Flags, Environment.GetEnvironmentVariable("ONEDNN_MAX_CPU_ISA"));
}

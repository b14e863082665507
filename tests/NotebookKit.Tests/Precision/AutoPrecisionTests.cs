using NotebookKit.Precision;
using NotebookKit.Runtime;

namespace NotebookKit.Tests.Precision;

public class AutoPrecisionTests
{
    // Flag sets as Linux prints them for three processors (abridged to the flags that matter and a few neighbours).
    static readonly string[] SapphireRapids = ["avx2", "avx512f", "avx512_bf16", "avx512_fp16", "amx_bf16", "amx_tile", "amx_int8"];
    static readonly string[] Zen4 = ["avx2", "avx512f", "avx512_bf16", "avx512_vnni"];
    static readonly string[] Haswell = ["avx", "avx2", "fma"];

    [Fact]
    public void Bfloat16_matrix_instructions_get_bf16_mixed_and_everything_else_fp32()
    {
        Assert.Equal(PrecisionMode.Bf16Mixed, AutoPrecision.Choose(cuda: false, SapphireRapids).Mode);
        Assert.Equal(PrecisionMode.Bf16Mixed, AutoPrecision.Choose(cuda: false, Zen4).Mode);
        Assert.Equal(PrecisionMode.Fp32, AutoPrecision.Choose(cuda: false, Haswell).Mode);
        Assert.Equal(PrecisionMode.Fp32, AutoPrecision.Choose(cuda: false, []).Mode);
        Assert.Equal(PrecisionMode.Fp32, AutoPrecision.Choose(cuda: true, SapphireRapids).Mode);
    }

    [Theory]
    [InlineData("AVX2", "Fp32")]
    [InlineData("avx512_core", "Fp32")]
    [InlineData("AVX512_CORE_VNNI", "Fp32")]
    [InlineData("AVX512_CORE_BF16", "Bf16Mixed")]
    [InlineData("AVX512_CORE_AMX", "Bf16Mixed")]
    [InlineData("", "Bf16Mixed")]
    public void A_oneDNN_limit_below_bfloat16_imitates_an_older_CPU(string isa, string expected)
    {
        Assert.Equal(Enum.Parse<PrecisionMode>(expected), AutoPrecision.Choose(cuda: false, SapphireRapids, isa).Mode);
        Assert.Equal(Enum.Parse<PrecisionMode>(expected), AutoPrecision.Choose(cuda: false, Zen4, isa).Mode);
    }

    [Fact]
    public void Each_choice_says_why()
    {
        Assert.Contains("AMX-BF16", AutoPrecision.Choose(cuda: false, SapphireRapids).Reason);
        Assert.Contains("AVX512-BF16", AutoPrecision.Choose(cuda: false, Zen4).Reason);
        Assert.Contains("no bfloat16", AutoPrecision.Choose(cuda: false, Haswell).Reason);
        Assert.Contains("/proc/cpuinfo", AutoPrecision.Choose(cuda: false, []).Reason);
        Assert.Contains("CUDA", AutoPrecision.Choose(cuda: true, []).Reason);
        Assert.Contains("ONEDNN_MAX_CPU_ISA=AVX2", AutoPrecision.Choose(cuda: false, Zen4, "AVX2").Reason);
    }

    [Fact]
    public void This_machine_s_processor_is_read_from_proc_cpuinfo()
    {
        // NotebookKit ships for Linux x64. The runtime's own detection is an independent reading of the same processor.
        var cpu = CpuInfo.Read();
        Assert.Equal(System.Runtime.Intrinsics.X86.Avx2.IsSupported, cpu.Flags.Contains("avx2"));
        Assert.Equal(System.Runtime.Intrinsics.X86.Avx512F.IsSupported, cpu.Flags.Contains("avx512f"));
        Assert.NotEqual("unknown", cpu.ModelName);
        Assert.Contains(System.Runtime.Intrinsics.X86.Avx2.IsSupported ? "matrix features avx2" : "no avx2", cpu.Describe());
        Assert.Contains($"{Environment.ProcessorCount} logical CPUs", cpu.Describe());
    }
}

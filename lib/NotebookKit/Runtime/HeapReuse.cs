using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace NotebookKit.Runtime;

/// <summary>
/// Makes glibc's malloc keep the memory of freed tensors for the next step instead of handing it back to the operating system.
/// </summary>
/// <remarks>
/// libtorch allocates CPU tensors with malloc. Out of the box glibc serves every block of 128 KiB or more with a fresh
/// mmap and unmaps it on free, and gives the top of a heap back once more than 128 KiB lies free there. It raises both
/// limits by itself after it frees a mapped block, but never past 32 MiB and 64 MiB, and how far it gets depends on what
/// the process freed before. A training step allocates and frees tens of megabytes of activations, 0.1 to 3 MB each for
/// the default model, so while the limits sit low every step touches fresh zero-filled pages again. Measured on 2 cores
/// (AMD EPYC, BENCHMARKS.md): the default run's first 500 steps ran at 24,000 tokens/s instead of 38,000-47,000, and a
/// 400-step <c>nbk train</c> took 27 s instead of 19 s (7 s of system time instead of 1), with identical losses.
/// <para>
/// So the library sets both limits once, at load, to where glibc's own adjustment would end: blocks under 32 MiB come
/// from the heap, and a heap is trimmed only when 64 MiB lie free at its top. Peak memory is unchanged (359 against 358
/// MiB for that run), since the kept memory is what the next step asks for again; between steps a heap holds up to 64
/// MiB more. A user who tunes malloc with its environment variables (MALLOC_MMAP_THRESHOLD_, MALLOC_TRIM_THRESHOLD_,
/// MALLOC_TOP_PAD_ or GLIBC_TUNABLES) or preloads another allocator keeps their own settings. No package exposes
/// mallopt, hence the hand-written import.
/// </para>
/// </remarks>
internal static partial class HeapReuse
{
    const int MmapThresholdOption = -3;                     // M_MMAP_THRESHOLD in malloc.h
    const int TrimThresholdOption = -1;                     // M_TRIM_THRESHOLD in malloc.h
    const int MmapThreshold = 32 << 20;                     // glibc's ceiling for its own dynamic threshold on 64-bit
    const int TrimThreshold = 2 * MmapThreshold;            // glibc keeps trim at twice the mmap threshold when it adjusts them
    static readonly string[] MallocVariables = ["MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "MALLOC_TOP_PAD_"];

    /// <summary>Whether the limits were set in this process: false off Linux, without glibc, or where the user tunes malloc.</summary>
    internal static bool Applied { get; private set; }

#pragma warning disable CA2255 // a library initializer is the point: the limits must be set before the first tensor
    [ModuleInitializer]
    internal static void Install()
    {
        if (!OperatingSystem.IsLinux() || UserTunesMalloc()) return;
        try
        {
            // The mmap threshold first: a trim threshold set alone also stops glibc raising the mmap threshold from
            // 128 KiB, which made the default model's step three times slower than glibc's defaults.
            Applied = Mallopt(MmapThresholdOption, MmapThreshold) == 1 && Mallopt(TrimThresholdOption, TrimThreshold) == 1;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            // Not glibc: its malloc has other defaults and mallopt may not exist.
        }
    }
#pragma warning restore CA2255

    static bool UserTunesMalloc() =>
        MallocVariables.Any(name => !string.IsNullOrEmpty(Environment.GetEnvironmentVariable(name)))
        || (Environment.GetEnvironmentVariable("GLIBC_TUNABLES") ?? "").Contains("glibc.malloc.", StringComparison.Ordinal)
        || (Environment.GetEnvironmentVariable("LD_PRELOAD") ?? "").Contains("malloc", StringComparison.Ordinal);   // jemalloc, tcmalloc, mimalloc

    [LibraryImport("libc", EntryPoint = "mallopt")]
    private static partial int Mallopt(int option, int value);
}

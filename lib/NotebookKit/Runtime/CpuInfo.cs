namespace NotebookKit.Runtime;

/// <summary>
/// The processor as Linux describes it in /proc/cpuinfo: its name, family and model numbers and feature flags. libtorch
/// picks its kernels from these features, so every speed figure is only meaningful next to them.
/// </summary>
/// <param name="ModelName">The "model name" line, e.g. "AMD EPYC" or "Intel(R) Xeon(R) Platinum 8480+"; "unknown" where there is none.</param>
/// <param name="Family">The "cpu family" number, e.g. 25 for AMD Zen 3 and Zen 4; empty where there is none.</param>
/// <param name="Model">The "model" number within the family; empty where there is none.</param>
/// <param name="Flags">The feature flags, e.g. avx2, avx512_bf16, amx_bf16; empty where they cannot be read (Windows, macOS).</param>
public sealed record CpuInfo(string ModelName, string Family, string Model, IReadOnlySet<string> Flags)
{
    /// <summary>The features that decide which matrix kernels libtorch and oneDNN run, in the order they arrived.</summary>
    static readonly string[] MatrixFeatures = ["avx2", "avx512f", "avx512_vnni", "avx512_bf16", "avx512_fp16", "amx_tile", "amx_bf16"];

    /// <summary>Reads this machine's first processor from /proc/cpuinfo.</summary>
    public static CpuInfo Read()
    {
        const string cpuinfo = "/proc/cpuinfo";
        var fields = new Dictionary<string, string>();
        if (File.Exists(cpuinfo))
            foreach (var line in File.ReadLines(cpuinfo).TakeWhile(l => l.Length > 0)) // the first processor's block ends at a blank line
                if (line.IndexOf(':', StringComparison.Ordinal) is var colon and > 0)
                    fields.TryAdd(line[..colon].Trim(), line[(colon + 1)..].Trim());
        return new CpuInfo(
            fields.GetValueOrDefault("model name", "unknown"),
            fields.GetValueOrDefault("cpu family", ""),
            fields.GetValueOrDefault("model", ""),
            fields.GetValueOrDefault("flags", "").Split(' ', StringSplitOptions.RemoveEmptyEntries).ToHashSet());
    }

    /// <summary>One line for logs and benchmark reports: "AMD EPYC (family 25, model 17), 2 logical CPUs; matrix features avx2 avx512f ... ; no amx_bf16".</summary>
    public string Describe()
    {
        var present = MatrixFeatures.Where(Flags.Contains).ToArray();
        var absent = MatrixFeatures.Where(f => !Flags.Contains(f)).ToArray();
        return $"{ModelName}{(Family.Length > 0 ? $" (family {Family}, model {Model})" : "")}, {Environment.ProcessorCount} logical CPUs; " +
               (Flags.Count == 0 ? "feature flags unknown" : $"matrix features {(present.Length > 0 ? string.Join(' ', present) : "none")}{(absent.Length > 0 ? $"; no {string.Join(", no ", absent)}" : "")}");
    }
}

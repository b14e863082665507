using System.Reflection;
using TorchSharp;

namespace NotebookKit.Runtime;

/// <summary>
/// The first thing a notebook, test or command touches: makes sure TorchSharp loads, picks the
/// device and seeds the random generators.
/// </summary>
public static class Workbench
{
    /// <summary>
    /// Picks the device to train on. <c>"auto"</c> (the default) means CUDA when a GPU and the
    /// CUDA build of libtorch are present, otherwise CPU; <c>"cpu"</c> and <c>"cuda"</c> force one.
    /// </summary>
    /// <exception cref="ArgumentException">The name is not auto, cpu or cuda, or CUDA was asked
    /// for where it is not available.</exception>
    public static torch.Device ChooseDevice(string requested = "auto") => requested.ToLowerInvariant() switch
    {
        "auto" => torch.cuda.is_available() ? torch.CUDA : torch.CPU,
        "cpu" => torch.CPU,
        "cuda" when torch.cuda.is_available() => torch.CUDA,
        "cuda" => throw new ArgumentException("device 'cuda' was requested but CUDA is not available here (no GPU, or the CPU build of libtorch): use --device cpu, or build with -p:TorchBackend=cuda on a GPU host"),
        _ => throw new ArgumentException($"device '{requested}' is not known: use auto, cpu or cuda"),
    };

    /// <summary>
    /// Whether this build of NotebookKit references a CUDA build of libtorch (the package id is stamped into the
    /// assembly at build time). A CPU build never finds a GPU, so asking costs no native load.
    /// </summary>
    public static bool CudaBuild =>
        typeof(Workbench).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .Any(a => a.Key == "LibtorchPackage" && a.Value?.Contains("cuda", StringComparison.OrdinalIgnoreCase) == true);

    /// <summary>Seeds torch's CPU generator and, when present, every CUDA generator.</summary>
    public static void Seed(long seed)
    {
        torch.manual_seed(seed);
        if (torch.cuda.is_available()) torch.cuda.manual_seed_all(seed);
    }

    /// <summary>Sets the number of threads torch uses for intra-op parallelism (0 keeps its default).</summary>
    public static void SetThreads(int threads)
    {
        if (threads < 0) throw new ArgumentException($"threads {threads} is negative: use 0 for torch's default or a positive count");
        if (threads > 0) torch.set_num_threads(threads);
    }

    /// <summary>One line naming the versions, the device and the thread count, for logs and the first notebook.</summary>
    public static string Describe() =>
        $"TorchSharp {typeof(torch).Assembly.GetName().Version?.ToString(3)}, libtorch {torch.__version__}, " +
        $"device {ChooseDevice()}, {torch.get_num_threads()} threads, .NET {Environment.Version}";
}

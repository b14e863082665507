using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Loader;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using TorchSharp;

namespace NotebookKit.Runtime;

/// <summary>
/// Loads TorchSharp's native bridge (libLibTorchSharp.so) on Linux systems whose libstdc++ is
/// older than the one it was built with.
/// </summary>
/// <remarks>
/// TorchSharp 0.107.0 asks for GLIBCXX_3.4.32, which Debian 12's libstdc++ lacks, although the
/// only symbol bound to it is a marker that is never called. When, and only when, the ordinary
/// load fails for that reason, this loader writes a copy of the library with that requirement
/// marked optional into the user's cache folder (2.4 MB, once per TorchSharp build) and hands
/// that copy to TorchSharp. The NuGet cache and the build output are never modified, and on a
/// system whose libstdc++ is new enough nothing happens at all.
/// </remarks>
internal static partial class NativeTorchLoader
{
    const string BridgeName = "LibTorchSharp";
    const string BridgeFile = "libLibTorchSharp.so";
    static readonly object Gate = new();
    static IntPtr _bridge;

    /// <summary>Runs when the NotebookKit assembly is first used, before any tensor exists.</summary>
#pragma warning disable CA2255 // a library initializer is the point: it must run before TorchSharp's first native call
    [ModuleInitializer]
    internal static void Install()
    {
        if (!OperatingSystem.IsLinux()) return;
        var torchAssembly = typeof(torch).Assembly;
        try
        {
            // P/Invokes into the bridge ask this first, so they skip a failing probe each time.
            NativeLibrary.SetDllImportResolver(torchAssembly, (name, assembly, _) => IsBridge(name) ? Resolve(assembly) : IntPtr.Zero);
        }
        catch (InvalidOperationException)
        {
            // Another component already installed a resolver for TorchSharp; the event below still works.
        }
        // TorchSharp's own NativeLibrary.TryLoad("LibTorchSharp", ...) reaches this event after its probe fails.
        var context = AssemblyLoadContext.GetLoadContext(torchAssembly) ?? AssemblyLoadContext.Default;
        context.ResolvingUnmanagedDll += (assembly, name) => IsBridge(name) ? Resolve(assembly) : IntPtr.Zero;
    }

#pragma warning restore CA2255

    static bool IsBridge(string name) => name is BridgeName or BridgeFile;

    static IntPtr Resolve(Assembly torchAssembly)
    {
        lock (Gate)
        {
            if (_bridge != IntPtr.Zero) return _bridge;
            var original = CandidateFolders(torchAssembly).Select(d => Path.Combine(d, BridgeFile)).FirstOrDefault(File.Exists);
            if (original is null) return IntPtr.Zero; // let TorchSharp report what it could not find
            // A notebook kernel loads TorchSharp.dll from its package folder, where the bridge sits without
            // libtorch; loading libtorch from its own package first lets the bridge find it by soname, so
            // TorchSharp never falls back to copying half a gigabyte of natives into the package cache.
            if (!File.Exists(Path.Combine(Path.GetDirectoryName(original)!, "libtorch.so")))
                PreloadDependencies(original, torchAssembly);
            try
            {
                _bridge = NativeLibrary.Load(original);
                return _bridge;
            }
            catch (DllNotFoundException e) when (MissingVersions(e.Message).Any())
            {
                _bridge = LoadPatchedCopy(original, MissingVersions(e.Message).ToList(), torchAssembly);
                return _bridge;
            }
        }
    }

    static IntPtr LoadPatchedCopy(string original, List<string> missing, Assembly torchAssembly)
    {
        var bytes = File.ReadAllBytes(original);
        var folder = Path.Combine(CacheRoot(), Convert.ToHexStringLower(SHA256.HashData(bytes))[..16]);
        var copy = Path.Combine(folder, BridgeFile);
        for (var attempt = 0; attempt < 4; attempt++)
        {
            foreach (var version in missing)
                bytes = ElfVersionPatch.MarkWeak(bytes, version);
            WriteAtomically(copy, bytes);
            // The copy's $ORIGIN is the cache folder, so its libtorch dependencies are loaded first
            // from beside the original; the loader then matches them by soname.
            PreloadDependencies(original, torchAssembly);
            try
            {
                var handle = NativeLibrary.Load(copy);
                Console.Error.WriteLine($"NotebookKit: this system's libstdc++ lacks {string.Join(", ", missing)}, which {BridgeFile} " +
                                        $"asks for only as an uncalled marker; loaded a copy with it marked optional ({copy}).");
                return handle;
            }
            catch (DllNotFoundException e) when (MissingVersions(e.Message).Except(missing).Any())
            {
                missing = MissingVersions(e.Message).Except(missing).ToList();
            }
        }
        throw new DllNotFoundException($"{BridgeFile} could not be loaded even after marking GLIBCXX markers optional; install a newer libstdc++ (GCC 13 or later).");
    }

    static void PreloadDependencies(string original, Assembly torchAssembly)
    {
        var folders = new[] { Path.GetDirectoryName(original)! }.Concat(CandidateFolders(torchAssembly)).Concat(LibtorchPackageFolders()).ToList();
        foreach (var dependency in new[] { "libc10.so", "libtorch_cpu.so", "libtorch.so" })
        {
            var path = folders.Select(f => Path.Combine(f, dependency)).FirstOrDefault(File.Exists);
            if (path is not null) NativeLibrary.Load(path);
        }
    }

    /// <summary>Folders where the bridge may sit: beside TorchSharp.dll (build output), in its
    /// NuGet package (notebook kernels load TorchSharp.dll from the cache), and the runtime's
    /// native probing folders.</summary>
    static IEnumerable<string> CandidateFolders(Assembly torchAssembly)
    {
        var here = Path.GetDirectoryName(torchAssembly.Location);
        if (!string.IsNullOrEmpty(here))
        {
            yield return here;
            yield return Path.Combine(here, "runtimes", "linux-x64", "native");
            yield return Path.GetFullPath(Path.Combine(here, "..", "..", "runtimes", "linux-x64", "native"));
        }
        if (AppContext.GetData("NATIVE_DLL_SEARCH_DIRECTORIES") is string probing)
            foreach (var folder in probing.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
                yield return folder;
        var version = torchAssembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0];
        if (version is not null)
            yield return Path.Combine(NuGetPackages(), "torchsharp", version, "runtimes", "linux-x64", "native");
    }

    /// <summary>The native folder of the libtorch package this build of NotebookKit references (its id and
    /// version are stamped into the assembly at build time), where a notebook kernel restored it.</summary>
    static IEnumerable<string> LibtorchPackageFolders()
    {
        var metadata = typeof(NativeTorchLoader).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().ToDictionary(a => a.Key, a => a.Value);
        if (metadata.GetValueOrDefault("LibtorchPackage") is not { Length: > 0 } package ||
            metadata.GetValueOrDefault("LibtorchVersion") is not { Length: > 0 } version)
            return [];
        var root = NuGetPackages();
        // The CPU build is one package; a CUDA build's natives come in packages named libtorch-cuda-<cuda>-linux-x64*.
        var ids = package.Contains('*', StringComparison.Ordinal) && Directory.Exists(root)
            ? Directory.GetDirectories(root, package).Select(Path.GetFileName).OfType<string>()
            : [package.ToLowerInvariant()];
        return ids.Select(id => Path.Combine(root, id, version, "runtimes", "linux-x64", "native")).Where(Directory.Exists);
    }

    static string NuGetPackages() =>
        Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } custom
            ? custom
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");

    static string CacheRoot() =>
        Path.Combine(Environment.GetEnvironmentVariable("XDG_CACHE_HOME") is { Length: > 0 } xdg
            ? xdg
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache"), "notebookkit", "native");

    static void WriteAtomically(string path, byte[] bytes)
    {
        if (File.Exists(path) && File.ReadAllBytes(path).AsSpan().SequenceEqual(bytes)) return;
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temp = $"{path}.{Environment.ProcessId}.tmp";
        File.WriteAllBytes(temp, bytes);
        File.Move(temp, path, overwrite: true);
    }

    static IEnumerable<string> MissingVersions(string loaderMessage) =>
        MissingVersionPattern().Matches(loaderMessage).Select(m => m.Groups[1].Value).Distinct();

    [GeneratedRegex(@"version .(GLIBCXX_[0-9.]+). not found")]
    private static partial Regex MissingVersionPattern();
}

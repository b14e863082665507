namespace NotebookKit.Cli.Tests;

/// <summary>
/// NotebookKit's native loader in a fresh process with an empty cache folder: on a system whose libstdc++ lacks
/// GLIBCXX_3.4.32 (Debian 12) it loads a patched copy of the real bridge from the cache and says so in one line; on a newer
/// system it leaves everything alone.
/// </summary>
public sealed class NativeTorchLoaderTests : IDisposable
{
    readonly string _cache = Directory.CreateTempSubdirectory("nbk-native-cache-").FullName;

    public void Dispose() => Directory.Delete(_cache, recursive: true);

    /// <summary>Whether the libstdc++ the dynamic loader finds defines GLIBCXX_3.4.32, read from its bytes.</summary>
    static bool SystemHasGlibcxx3432()
    {
        var library = new[] { "/usr/lib/x86_64-linux-gnu/libstdc++.so.6", "/usr/lib64/libstdc++.so.6", "/usr/lib/libstdc++.so.6" }.First(File.Exists);
        return File.ReadAllBytes(library).AsSpan().IndexOf("GLIBCXX_3.4.32\0"u8) >= 0;
    }

    [Fact]
    public void A_fresh_process_trains_and_patches_a_cached_copy_only_where_libstdcxx_is_too_old()
    {
        var result = Nbk.Run(["train", "--iters", "1", "--layers", "1", "--heads", "1", "--embd", "8", "--block", "8", "--batch", "1", "--warmup", "0", "--eval-iters", "1", "--threads", "1"],
            new Dictionary<string, string> { ["XDG_CACHE_HOME"] = _cache });
        Assert.True(result.Exit == 0, result.Err);
        var copies = Directory.GetFiles(_cache, "libLibTorchSharp.so", SearchOption.AllDirectories);
        if (SystemHasGlibcxx3432())
        {
            Assert.Empty(copies);
            Assert.DoesNotContain("NotebookKit: this system's libstdc++", result.Err);
            return;
        }
        var copy = Assert.Single(copies);
        Assert.Contains($"NotebookKit: this system's libstdc++ lacks GLIBCXX_3.4.32, which libLibTorchSharp.so asks for only as an uncalled marker; loaded a copy with it marked optional ({copy}).", result.Err);
        // The copy differs from the bridge in the build output in one byte: the flags of that one requirement.
        var (original, patched) = (File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "libLibTorchSharp.so")), File.ReadAllBytes(copy));
        Assert.Equal(original.Length, patched.Length);
        var changed = Assert.Single(Enumerable.Range(0, original.Length), i => original[i] != patched[i]);
        Assert.Equal(original[changed] | 0x2, patched[changed]);
    }
}

using System.Globalization;
using NotebookKit.Runtime;
using TorchSharp;

namespace NotebookKit.Tests.Runtime;

/// <summary>Page faults are counted for the whole process, so the test that counts them runs with no other test beside it.</summary>
[CollectionDefinition(nameof(PageFaults), DisableParallelization = true)]
public class PageFaults;

[Collection(nameof(PageFaults))]
public class HeapReuseTests
{
    // 128 KiB to 3 MiB, the sizes of the default model's activations at batch 24: 51 MiB in all, under the 64 MiB the heap may keep.
    static readonly long[] Activations = Enumerable.Range(0, 40).Select(i => new long[] { 32 * 1024, 128 * 1024, 384 * 1024, 768 * 1024 }[i % 4]).ToArray();

    [Fact]
    public void A_step_worth_of_freed_tensors_is_reused_without_fresh_pages()
    {
        Assert.True(HeapReuse.Applied, "loading NotebookKit should have set glibc's mmap and trim thresholds (HeapReuse)");

        // Like training in a process that has freed larger blocks before: first one thread frees 2 MiB blocks (glibc then
        // serves blocks up to that size from its heaps, and gives a heap back once twice that lies free at its top); then
        // a second thread allocates, writes and frees activations of mixed sizes together, again and again. With glibc's
        // own limits that thread's heap is handed back after every round, so every page faults anew.
        OnNewThread(() =>
        {
            for (var i = 0; i < 3; i++) Round(Enumerable.Repeat(512L * 1024, 24));
        });
        var faults = new List<long>();
        OnNewThread(() =>
        {
            for (var i = 0; i < 2; i++) Round(Activations);     // grows the heap to what a round needs
            for (var i = 0; i < 4; i++)
            {
                var before = MinorFaults();
                Round(Activations);
                faults.Add(MinorFaults() - before);
            }
        });
        var pagesTouched = Activations.Sum() * sizeof(float) / Environment.SystemPageSize;
        // A round now and then still finds a few blocks elsewhere (up to 12% of its pages seen); without the limits every
        // round faults most of them (64-82% seen).
        Assert.True(faults.Average() < pagesTouched / 10, $"rounds after the first two faulted {string.Join(", ", faults)} pages of the {pagesTouched} they touched");
    }

    static void OnNewThread(Action work)
    {
        var thread = new Thread(() => work());
        thread.Start();
        thread.Join();
    }

    /// <summary>Allocates a tensor of each size, writing every element, then frees them all.</summary>
    static void Round(IEnumerable<long> floats)
    {
        var tensors = floats.Select(n => torch.ones(n)).ToList();
        foreach (var t in tensors) t.Dispose();
    }

    /// <summary>The process's minor page faults so far: field 10 of /proc/self/stat, counted after the command name's parenthesis.</summary>
    static long MinorFaults()
    {
        var stat = File.ReadAllText("/proc/self/stat");
        return long.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[7], CultureInfo.InvariantCulture);
    }
}

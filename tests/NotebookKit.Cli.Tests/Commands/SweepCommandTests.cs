namespace NotebookKit.Cli.Tests.Commands;

public class SweepCommandTests
{
    /// <summary>A notebook with a seed parameter and one claim whose margin depends on it: seed / 10 must stay below 0.25.</summary>
    static string Notebook(string folder)
    {
        var path = Path.Combine(folder, "claims.dib");
        var library = Path.Combine(AppContext.BaseDirectory, "NotebookKit.dll");
        File.WriteAllText(path, $$"""
            #!csharp

            #r "nuget: TorchSharp, 0.107.0"
            #r "nuget: libtorch-cpu-linux-x64, 2.10.0"
            #r "{{library}}"
            using NotebookKit.Interactive;
            NotebookKit.Runtime.Workbench.Describe()

            #!csharp

            // parameters
            var seed = 1L;

            #!csharp

            Claim.That($"seed {seed} is small", Bound.Below("seed / 10", seed / 10.0, 0.25))

            """);
        return path;
    }

    [Fact]
    public void Prints_each_bounds_worst_margin_over_seeds_with_the_threads_it_asked_for_and_exits_1_when_one_failed()
    {
        var folder = Directory.CreateTempSubdirectory("nbk-sweep-").FullName;
        try
        {
            var (exit, stdout, stderr) = Nbk.Run("sweep", Notebook(folder), "--seeds", "1,3", "--threads", "1", "--cpu", "avx2");
            Assert.True(exit == 1, stdout + stderr);
            Assert.Contains("claims.dib cpu=avx2 threads=1 seed=1: passed", stdout);
            Assert.Contains("claims.dib cpu=avx2 threads=1 seed=3: failed", stdout);
            // seed 1: 0.1 against 0.25 is 60% of room; seed 3: 0.3 fails by 20%.
            Assert.Contains("-20.0%  seed / 10 = 0.3 vs 0.25 at cpu=avx2 threads=1 seed=3, failed 1 of 2", stdout);
            Assert.Contains("claims.dib: worst margin -20.0% (seed / 10); 1 of 2 runs failed", stdout);
            Assert.Contains("bounds, worst +60.0% (seed / 10), torch threads 1", stdout);   // Workbench.Describe() reported 1 thread: OMP_NUM_THREADS took effect
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void An_unknown_cpu_kernel_choice_is_a_one_line_error()
    {
        var (exit, _, stderr) = Nbk.Run("sweep", "notebooks", "--cpu", "sse4");
        Assert.Equal(2, exit);
        Assert.Contains("--cpu value 'sse4' is not valid", stderr);
    }
}

using System.Diagnostics;
using System.Globalization;
using NotebookKit.Data;
using NotebookKit.Model;
using NotebookKit.Precision;
using NotebookKit.Runtime;
using NotebookKit.Telemetry;
using NotebookKit.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace NotebookKit.Benchmarks;

/// <summary>How long a benchmark runs.</summary>
/// <param name="StepsPerWindow">Steps timed together as one window. 50: long enough that the clock's resolution and one slow step do not matter.</param>
/// <param name="Windows">Timed windows per loop. 7: the median of seven shrugs off a neighbour's burst on a shared machine.</param>
public sealed record BenchmarkSettings(int StepsPerWindow = 50, int Windows = 7)
{
    /// <summary>Throws an <see cref="ArgumentException"/> naming the bad value and the fix.</summary>
    public BenchmarkSettings Validate()
    {
        if (StepsPerWindow < 1) throw new ArgumentException($"steps per window {StepsPerWindow} must be at least 1, e.g. --steps 50");
        if (Windows < 1) throw new ArgumentException($"windows {Windows} must be at least 1, e.g. --windows 7");
        return this;
    }
}

/// <summary>One timed window of one loop.</summary>
/// <param name="Loop">"library" or "bare".</param>
/// <param name="Index">Window number, from 1; 0 is the untimed warm-up.</param>
/// <param name="TokensPerSecond">Input tokens per second of wall time over the window.</param>
/// <param name="RssBytes">The process's resident memory after the window.</param>
public sealed record BenchmarkWindow(string Loop, int Index, double TokensPerSecond, long RssBytes);

/// <summary>What <see cref="LoopBenchmark.Run"/> measured.</summary>
/// <param name="Precision">The precision both loops trained in.</param>
/// <param name="Threads">torch's intra-op thread count during the run.</param>
/// <param name="FlopsPerToken">Model training FLOPs per token (<see cref="ModelConfig.FlopsPerToken"/>).</param>
/// <param name="PeakGflops">The matmul rate measured in this process in the type forward and backward run in
/// (<see cref="MatmulPeak"/>, <see cref="PrecisionPlan.ComputeType"/>), the higher of a measurement before and one
/// after the windows: MFU's denominator.</param>
/// <param name="Windows">Every window, warm-up included, in the order they ran.</param>
/// <param name="PeakRssBytes">The process's peak resident memory: both loops, their optimizers and the runtime together.</param>
/// <param name="TokensPerStep">Input tokens per step of both loops.</param>
/// <param name="EvalEvery">Steps between evaluations in the configuration benchmarked (<see cref="TrainConfig.EvalEvery"/>).</param>
/// <param name="EvaluationSeconds">Median wall time of one <see cref="Trainer.Evaluate"/> of the library's trainer
/// (<see cref="TrainConfig.EvalIters"/> batches), measured after the windows.</param>
public sealed record BenchmarkResult(
    PrecisionMode Precision,
    int Threads,
    double FlopsPerToken,
    double PeakGflops,
    IReadOnlyList<BenchmarkWindow> Windows,
    long PeakRssBytes,
    long TokensPerStep,
    int EvalEvery,
    double EvaluationSeconds)
{
    /// <summary>Median tokens/s of the library's <see cref="Trainer.Step"/> over the timed windows.</summary>
    public double LibraryTokensPerSecond => MedianTokensPerSecond("library");

    /// <summary>Median tokens/s of the <see cref="BareLoop"/> over the timed windows.</summary>
    public double BareTokensPerSecond => MedianTokensPerSecond("bare");

    /// <summary>
    /// Training tokens per second of the library loop once its evaluations are counted: what a user of <c>nbk train</c>
    /// sees. <see cref="EvalEvery"/> steps at the median step rate, plus one evaluation.
    /// </summary>
    public double LibraryTokensPerSecondWithEvaluation
    {
        get
        {
            var tokens = (double)EvalEvery * TokensPerStep;
            return tokens / (tokens / LibraryTokensPerSecond + EvaluationSeconds);
        }
    }

    /// <summary>Library over bare: 1 means the library's telemetry and structure cost nothing.</summary>
    public double Ratio => LibraryTokensPerSecond / BareTokensPerSecond;

    /// <summary>
    /// Median over timed windows of library over bare within each pair of neighbouring windows: steadier than
    /// <see cref="Ratio"/> when the machine's load drifts, because each pair ran under nearly the same load.
    /// </summary>
    public double PairedRatio
    {
        get
        {
            var bare = Windows.Where(w => w.Loop == "bare" && w.Index > 0).ToDictionary(w => w.Index, w => w.TokensPerSecond);
            return Median.Of(Windows.Where(w => w.Loop == "library" && w.Index > 0).Select(w => w.TokensPerSecond / bare[w.Index]));
        }
    }

    /// <summary>Model FLOPs utilisation of the library loop against <see cref="PeakGflops"/>.</summary>
    public double LibraryMfu => FlopsPerToken * LibraryTokensPerSecond / (PeakGflops * 1e9);

    /// <summary>Model FLOPs utilisation of the bare loop against <see cref="PeakGflops"/>.</summary>
    public double BareMfu => FlopsPerToken * BareTokensPerSecond / (PeakGflops * 1e9);

    /// <summary>Resident memory after the first timed window and after the last one: flat memory means these agree.</summary>
    public (long First, long Last) RssSpan => (Windows.First(w => w.Index == 1).RssBytes, Windows[^1].RssBytes);

    /// <summary>One line of key=value pairs for scripts; the first five keys are fixed in name and order.</summary>
    public string MachineLine => string.Create(CultureInfo.InvariantCulture,
        $"library_tokens_per_s={LibraryTokensPerSecond:F0} bare_tokens_per_s={BareTokensPerSecond:F0} ratio={Ratio:F3} " +
        $"library_mfu={LibraryMfu:F3} peak_gflops={PeakGflops:F1} bare_mfu={BareMfu:F3} paired_ratio={PairedRatio:F3} peak_rss_mib={PeakRssBytes / 1048576.0:F0} " +
        $"library_tokens_per_s_with_eval={LibraryTokensPerSecondWithEvaluation:F0}");

    double MedianTokensPerSecond(string loop) => Median.Of(Windows.Where(w => w.Loop == loop && w.Index > 0).Select(w => w.TokensPerSecond));
}

/// <summary>
/// Times the library's full training step against a bare TorchSharp loop in one process, so both
/// share the same libtorch, threads and machine load.
/// </summary>
/// <remarks>
/// Both loops are built first, then run in alternating windows (library, bare, bare, library,
/// library, bare, ...): a neighbour who starts a build slows both loops' windows near that moment,
/// not one loop's whole run, and neither loop always goes first. Window 0 of each is an untimed warm-up (allocator pools, first-touch pages, the first
/// optimizer step creating AdamW's state). Evaluation is switched off in the library loop, because
/// the bare loop has none; everything else of <see cref="Trainer.Step"/> runs as in training. Evaluations are timed
/// on their own after the windows, for <see cref="BenchmarkResult.LibraryTokensPerSecondWithEvaluation"/>.
/// </remarks>
public static class LoopBenchmark
{
    /// <summary>Runs the benchmark.</summary>
    /// <param name="model">The model both loops train.</param>
    /// <param name="config">Batch, optimizer, schedule, clipping, seed and precision of both loops; accumulation and ranks must be 1.</param>
    /// <param name="data">The tokens both loops train on (validation is used only to build the trainer).</param>
    /// <param name="device">Where both loops run.</param>
    /// <param name="settings">Window length and count.</param>
    /// <param name="progress">Called with each window as it finishes; null for silence.</param>
    public static BenchmarkResult Run(ModelConfig model, TrainConfig config, TokenSplit data, Device device, BenchmarkSettings settings, Action<BenchmarkWindow>? progress = null)
    {
        settings.Validate();
        var steps = (settings.Windows + 1) * settings.StepsPerWindow;
        // No evaluation inside the timed steps, and the schedule the user asked for even if the run is longer than --iters.
        var libraryConfig = config with
        {
            EvalEvery = int.MaxValue,
            LrDecayIters = config.LrDecayIters ?? config.MaxIters,
            MaxIters = Math.Max(config.MaxIters, steps + 1),
        };
        var peakGflops = MatmulPeak.Gflops(device, PrecisionPlan.ComputeType(config.Precision));
        using var library = new Trainer(model, libraryConfig, data, device, "library");
        using var bare = new BareLoop(model, libraryConfig, new WindowSampler(data.Train, model.BlockSize, config.BatchSize, config.Seed), device);
        var tokensPerStep = bare.TokensPerStep;

        var windows = new List<BenchmarkWindow>();
        for (var index = 0; index <= settings.Windows; index++)
        {
            // Library first in even pairs, bare first in odd ones: whichever runs second finds the caches warm
            // with the other loop's tensors and the load a moment older, so neither gets that position every time.
            foreach (var loop in index % 2 == 0 ? ["library", "bare"] : new[] { "bare", "library" })
            {
                windows.Add(loop == "library" ? Time(loop, index, () => library.Step()) : Time(loop, index, () => bare.Step()));
                progress?.Invoke(windows[^1]);
            }
        }
        var evaluations = Enumerable.Range(0, 3).Select(_ =>
        {
            var clock = Stopwatch.StartNew();
            library.Evaluate();
            return clock.Elapsed.TotalSeconds;
        }).Order().ToArray();
        // Measured again after the windows: a peak taken during a neighbour's burst would inflate MFU.
        peakGflops = Math.Max(peakGflops, MatmulPeak.Measure(device, PrecisionPlan.ComputeType(config.Precision)));
        return new BenchmarkResult(config.Precision, get_num_threads(), model.FlopsPerToken, peakGflops, windows, PeakRss(), tokensPerStep, config.EvalEvery, evaluations[1]);

        BenchmarkWindow Time(string loop, int index, Action step)
        {
            var clock = Stopwatch.StartNew();
            for (var i = 0; i < settings.StepsPerWindow; i++) step();
            if (device.type == DeviceType.CUDA) cuda.synchronize();
            var seconds = clock.Elapsed.TotalSeconds;
            return new BenchmarkWindow(loop, index, tokensPerStep * settings.StepsPerWindow / seconds, Rss());
        }
    }

    static long Rss()
    {
        using var process = Process.GetCurrentProcess();
        return process.WorkingSet64;
    }

    static long PeakRss()
    {
        using var process = Process.GetCurrentProcess();
        return process.PeakWorkingSet64;
    }
}

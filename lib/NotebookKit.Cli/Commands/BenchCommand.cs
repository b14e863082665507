using System.CommandLine;
using System.Globalization;
using NotebookKit.Benchmarks;
using NotebookKit.Precision;
using NotebookKit.Runtime;
using NotebookKit.Text;
using NotebookKit.Training;

namespace NotebookKit.Cli.Commands;

/// <summary>
/// <c>nbk bench</c>: the library's training step against a bare TorchSharp loop, in alternating
/// windows in one process, with MFU against a matmul peak measured in the same process. The last
/// line is key=value pairs for scripts.
/// </summary>
public static class BenchCommand
{
    /// <summary>Builds the command: the model, batch, precision and thread flags of <c>nbk train</c>, plus the corpus and the window sizes.</summary>
    public static Command Create()
    {
        var flags = new TrainCommand.Flags();
        var data = new Option<string?>("--data") { Description = "UTF-8 text file both loops train on (default: the bundled operations-log corpus)" };
        var steps = new Option<int>("--steps")
        {
            Description = "Steps per timed window (each loop runs one warm-up window and --windows timed ones)",
            DefaultValueFactory = _ => new BenchmarkSettings().StepsPerWindow,
        };
        var windows = new Option<int>("--windows")
        {
            Description = "Timed windows per loop; the medians are reported",
            DefaultValueFactory = _ => new BenchmarkSettings().Windows,
        };
        var command = new Command("bench", "Time the library's training step against a bare TorchSharp loop (same model, data and optimizer), and report tokens/s, their ratio, MFU and memory") { data, steps, windows };
        flags.AddTo(command);
        command.SetAction(parse => CliError.Guard(() =>
        {
            var settings = CliError.Input(() => new BenchmarkSettings(parse.GetValue(steps), parse.GetValue(windows)).Validate());
            _ = (flags.Train(parse), flags.Model(parse, vocabSize: 2)); // every flag checked before the corpus is read; the vocabulary comes from it
            var device = flags.Setup(parse);
            var (text, validation, _, _) = TrainCommand.LoadText(parse.GetValue(data));
            var tokenizer = CharTokenizer.FromText(text + validation);
            var split = new TokenSplit(tokenizer.Encode(text), tokenizer.Encode(validation));
            var model = flags.Model(parse, tokenizer.VocabSize);
            var config = flags.Train(parse);
            var breakdown = MemoryBreakdown.For(model, config.Precision, config.BatchSize, model.BlockSize);

            Console.WriteLine(Workbench.Describe());
            Console.WriteLine($"cpu: {CpuInfo.Read().Describe()}");
            Console.WriteLine(Invariant($"model: {model.Layers} layers, {model.Heads} heads, width {model.Embd}, block {model.BlockSize}, vocabulary {model.VocabSize}; {model.ParameterCount:N0} parameters, {model.FlopsPerToken / 1e6:F2} MFLOP per token"));
            Console.WriteLine(Invariant($"batch {config.BatchSize} x {model.BlockSize} = {config.TokensPerStep(model.BlockSize)} tokens per step, {config.Precision}; {settings.Windows} windows of {settings.StepsPerWindow} steps per loop after one warm-up window each"));
            if (TrainCommand.AutoLine(flags, parse, config.Precision) is { } autoLine) Console.WriteLine(autoLine);
            Console.WriteLine(Invariant($"memory estimate: model state {breakdown.ModelStateBytes / 1048576.0:F1} MiB ({breakdown.BytesPerParameter:F0} bytes per parameter), activations {breakdown.ActivationBytes / 1048576.0:F1} MiB per microbatch"));
            var result = LoopBenchmark.Run(model, config, split, device, settings, w =>
                Console.WriteLine(Invariant($"  {w.Loop,-7} window {w.Index}{(w.Index == 0 ? " (warm-up)" : "")}: {w.TokensPerSecond,8:F0} tokens/s, RSS {w.RssBytes / 1048576.0:F0} MiB")));

            Console.WriteLine(Invariant($"library: {result.LibraryTokensPerSecond:F0} tokens/s (median), MFU {result.LibraryMfu:P1}"));
            Console.WriteLine(Invariant($"library with evaluation every {result.EvalEvery} steps ({config.EvalIters} batches, {result.EvaluationSeconds * 1000:F0} ms each): {result.LibraryTokensPerSecondWithEvaluation:F0} tokens/s"));
            Console.WriteLine(Invariant($"bare:    {result.BareTokensPerSecond:F0} tokens/s (median), MFU {result.BareMfu:P1}"));
            Console.WriteLine(Invariant($"ratio {result.Ratio:F3} (median of window pairs {result.PairedRatio:F3}); {PrecisionPlan.ComputeType(config.Precision)} matmul peak {result.PeakGflops:F1} GFLOP/s; RSS {result.RssSpan.First / 1048576.0:F0} -> {result.RssSpan.Last / 1048576.0:F0} MiB over the timed windows, peak {result.PeakRssBytes / 1048576.0:F0} MiB"));
            Console.WriteLine(result.MachineLine);
            return 0;
        }));
        return command;
    }

    static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}

using System.CommandLine;
using System.Globalization;
using NotebookKit.Data;
using NotebookKit.Faults;
using NotebookKit.Model;
using NotebookKit.Precision;
using NotebookKit.Runtime;
using NotebookKit.Telemetry;
using NotebookKit.Text;
using NotebookKit.Text.OpsLog;
using NotebookKit.Training;
using Spectre.Console;

namespace NotebookKit.Cli.Commands;

/// <summary><c>nbk train</c>: trains a TinyGpt on a UTF-8 text file and prints the validation loss last.</summary>
public static class TrainCommand
{
    static readonly ModelConfig ModelDefaults = new(VocabSize: 2);
    static readonly TrainConfig TrainDefaults = new();

    /// <summary>The model and training flags, shared with <c>nbk bench</c>.</summary>
    public sealed class Flags
    {
        /// <summary>--layers</summary>
        public Option<int> Layers { get; } = new("--layers") { Description = "transformer blocks", DefaultValueFactory = _ => ModelDefaults.Layers };
        /// <summary>--heads</summary>
        public Option<int> Heads { get; } = new("--heads") { Description = "attention heads per block (must divide --embd)", DefaultValueFactory = _ => ModelDefaults.Heads };
        /// <summary>--embd</summary>
        public Option<int> Embd { get; } = new("--embd") { Description = "width of the residual stream", DefaultValueFactory = _ => ModelDefaults.Embd };
        /// <summary>--block</summary>
        public Option<int> Block { get; } = new("--block") { Description = "context length in tokens", DefaultValueFactory = _ => ModelDefaults.BlockSize };
        /// <summary>--dropout</summary>
        public Option<double> Dropout { get; } = new("--dropout") { Description = "dropout probability", DefaultValueFactory = _ => ModelDefaults.Dropout };
        /// <summary>--batch</summary>
        public Option<int> Batch { get; } = new("--batch") { Description = "windows per microbatch", DefaultValueFactory = _ => TrainDefaults.BatchSize };
        /// <summary>--accum</summary>
        public Option<int> Accum { get; } = new("--accum") { Description = "microbatches per optimizer step", DefaultValueFactory = _ => TrainDefaults.Accumulation };
        /// <summary>--iters</summary>
        public Option<int> Iters { get; } = new("--iters") { Description = "optimizer steps", DefaultValueFactory = _ => TrainDefaults.MaxIters };
        /// <summary>--lr</summary>
        public Option<double> Lr { get; } = new("--lr") { Description = "peak learning rate", DefaultValueFactory = _ => TrainDefaults.LearningRate };
        /// <summary>--min-lr</summary>
        public Option<double> MinLr { get; } = new("--min-lr") { Description = "learning-rate floor of the cosine decay", DefaultValueFactory = _ => TrainDefaults.MinLearningRate };
        /// <summary>--warmup</summary>
        public Option<int> Warmup { get; } = new("--warmup") { Description = "optimizer steps of linear warmup", DefaultValueFactory = _ => TrainDefaults.WarmupIters };
        /// <summary>--lr-decay-iters</summary>
        public Option<int?> LrDecayIters { get; } = new("--lr-decay-iters") { Description = "step where the cosine reaches the floor (default: --iters)" };
        /// <summary>--weight-decay</summary>
        public Option<double> WeightDecay { get; } = new("--weight-decay") { Description = "AdamW weight decay on matrices", DefaultValueFactory = _ => TrainDefaults.WeightDecay };
        /// <summary>--beta2</summary>
        public Option<double> Beta2 { get; } = new("--beta2") { Description = "Adam second-moment decay", DefaultValueFactory = _ => TrainDefaults.Beta2 };
        /// <summary>--clip</summary>
        public Option<double> Clip { get; } = new("--clip") { Description = "clip the global gradient norm (0: off)", DefaultValueFactory = _ => TrainDefaults.ClipNorm };
        /// <summary>--ranks</summary>
        public Option<int> Ranks { get; } = new("--ranks") { Description = "simulated data-parallel ranks, each on its own shard (one process, gradients summed as an all-reduce would)", DefaultValueFactory = _ => TrainDefaults.Ranks };
        /// <summary>--seed</summary>
        public Option<long> Seed { get; } = new("--seed") { Description = "seed of weights, dropout and data order", DefaultValueFactory = _ => TrainDefaults.Seed };
        /// <summary>--eval-every</summary>
        public Option<int> EvalEvery { get; } = new("--eval-every") { Description = "evaluate every this many steps", DefaultValueFactory = _ => TrainDefaults.EvalEvery };
        /// <summary>--eval-iters</summary>
        public Option<int> EvalIters { get; } = new("--eval-iters") { Description = "validation batches per evaluation", DefaultValueFactory = _ => TrainDefaults.EvalIters };
        /// <summary>--precision</summary>
        public Option<string> Precision { get; } = new("--precision") { Description = "fp32, bf16, bf16-mixed or fp16-mixed", DefaultValueFactory = _ => "fp32" };
        /// <summary>--threads</summary>
        public Option<int> Threads { get; } = new("--threads") { Description = "torch intra-op threads (0: torch's default)", DefaultValueFactory = _ => 0 };
        /// <summary>--device</summary>
        public Option<string> Device { get; } = new("--device") { Description = "auto, cpu or cuda", DefaultValueFactory = _ => "auto" };

        /// <summary>Adds every flag to <paramref name="command"/>.</summary>
        public void AddTo(Command command)
        {
            foreach (var option in new Option[] { Layers, Heads, Embd, Block, Dropout, Batch, Accum, Iters, Lr, MinLr, Warmup, LrDecayIters,
                         WeightDecay, Beta2, Clip, Ranks, Seed, EvalEvery, EvalIters, Precision, Threads, Device })
                command.Options.Add(option);
        }

        /// <summary>The model configuration the flags describe, for a vocabulary of <paramref name="vocabSize"/>.</summary>
        public ModelConfig Model(ParseResult parse, int vocabSize) =>
            new ModelConfig(vocabSize, parse.GetValue(Layers), parse.GetValue(Heads), parse.GetValue(Embd), parse.GetValue(Block), parse.GetValue(Dropout)).Validate();

        /// <summary>The training configuration the flags describe.</summary>
        public TrainConfig Train(ParseResult parse) => new TrainConfig(
            BatchSize: parse.GetValue(Batch), Accumulation: parse.GetValue(Accum), MaxIters: parse.GetValue(Iters),
            LearningRate: parse.GetValue(Lr), MinLearningRate: parse.GetValue(MinLr), WarmupIters: parse.GetValue(Warmup),
            LrDecayIters: parse.GetValue(LrDecayIters), WeightDecay: parse.GetValue(WeightDecay), Beta2: parse.GetValue(Beta2),
            ClipNorm: parse.GetValue(Clip), EvalEvery: parse.GetValue(EvalEvery), EvalIters: parse.GetValue(EvalIters),
            Seed: parse.GetValue(Seed), Precision: ParsePrecision(parse.GetValue(Precision)!), Ranks: parse.GetValue(Ranks)).Validate();

        /// <summary>Applies --threads and resolves --device.</summary>
        public TorchSharp.torch.Device Setup(ParseResult parse)
        {
            Workbench.SetThreads(parse.GetValue(Threads));
            return Workbench.ChooseDevice(parse.GetValue(Device)!);
        }
    }

    /// <summary>Maps the CLI spelling of a precision mode (fp32, bf16, bf16-mixed, fp16-mixed) to the enum.</summary>
    public static PrecisionMode ParsePrecision(string name) => name.ToLowerInvariant() switch
    {
        "fp32" => PrecisionMode.Fp32,
        "bf16" => PrecisionMode.Bf16,
        "bf16-mixed" => PrecisionMode.Bf16Mixed,
        "fp16-mixed" => PrecisionMode.Fp16Mixed,
        _ => throw new ArgumentException($"precision '{name}' is not known: use fp32, bf16, bf16-mixed or fp16-mixed"),
    };

    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var flags = new Flags();
        var data = new Option<string?>("--data") { Description = "UTF-8 text file to train on; the last 10% is held out for validation (default: the bundled operations-log corpus). With --sft, a JSON Lines file of {\"prompt\", \"response\"} pairs" };
        var sft = new Option<bool>("--sft") { Description = "fine-tune on prompt/response pairs, counting response tokens only (default pairs: the bundled incident pairs, as data/sft.jsonl)" };
        var fault = new Option<string>("--fault")
        {
            Description = $"break the loop on purpose: one of {string.Join(", ", LoopFaultNames.All)}; 'list' prints them. " +
                          "Sets up what the fault needs (accumulation, ranks, dropout, fp16, SFT pairs, a resume halfway); nbk doctor names it from --timeline",
            DefaultValueFactory = _ => LoopFault.None.Name(),
        };
        var timeline = new Option<string?>("--timeline") { Description = "write the per-step timeline to this CSV file, and the run's settings beside it (run.csv -> run.run.json) for nbk doctor" };
        var tensorboard = new Option<string?>("--tensorboard") { Description = "write TensorBoard event files into this folder" };
        var command = new Command("train", "Train a tiny GPT on a text file; prints val_loss=<value> last.") { data, sft, fault, timeline, tensorboard };
        flags.AddTo(command);
        var checkpointFlags = new TrainCheckpoints();
        checkpointFlags.AddTo(command);
        command.SetAction(parse => CliError.Guard(() =>
        {
            if (parse.GetValue(fault) == "list")
            {
                foreach (var name in LoopFaultNames.All) Console.WriteLine(name);
                return 0;
            }
            var loopFault = LoopFaultNames.Parse(parse.GetValue(fault)!);
            var checkpoints = checkpointFlags.Read(parse);
            var pairs = parse.GetValue(sft) || FaultSetup.NeedsSftData(loopFault) ? SftSplit.Of(LoadPairs(parse.GetValue(data))) : null;
            var (text, validation, floor) = pairs is null ? LoadText(parse.GetValue(data)) : (PairsText(pairs.Train), PairsText(pairs.Validation), null);
            var tokenizer = CharTokenizer.FromText(text + validation);
            var (model, config) = FaultSetup.Apply(loopFault, flags.Model(parse, tokenizer.VocabSize), flags.Train(parse));
            var split = pairs is null ? TextSplit(tokenizer, text, validation, model) : null;
            var device = flags.Setup(parse);

            Console.WriteLine($"{Workbench.Describe()}");
            Console.WriteLine($"model: {model.Layers} layers, {model.Heads} heads, width {model.Embd}, block {model.BlockSize}, vocabulary {model.VocabSize}, {model.ParameterCount:N0} parameters, dropout {model.Dropout}");
            Console.WriteLine($"training: {config.MaxIters} steps of {config.TokensPerStep(model.BlockSize):N0} tokens (batch {config.BatchSize} x block {model.BlockSize} x accumulation {config.Accumulation} x ranks {config.Ranks}), precision {config.Precision}{(pairs is null ? "" : ", on prompt/response pairs")}");
            if (loopFault != LoopFault.None)
                Console.WriteLine($"fault: {loopFault.Name()}, a broken loop on purpose{(ResumeDrill.Needed(loopFault) ? $", resumed from a checkpoint after step {config.MaxIters / 2}" : "")}");
            Trainer Build() => pairs is null
                ? new Trainer(model, config, split!, device, entropyFloor: floor)
                : new Trainer(model, config, pairs, tokenizer.Encode, device);
            var trainer = Build();
            try
            {
                if (checkpoints.Start(trainer, tokenizer.Alphabet) is { } resumed) Console.WriteLine(resumed);
                // The resume faults stop halfway and continue from a checkpoint, restored as the fault says.
                trainer = ResumeDrill.Train(trainer, Build, tokenizer.Alphabet, (t, steps) => Run(t, () => checkpoints.AfterStep(t, tokenizer.Alphabet), steps));
                if (checkpoints.Finish(trainer, tokenizer.Alphabet) is { } last) Console.WriteLine($"checkpoint {last}");

                var log = trainer.Log;
                if (parse.GetValue(timeline) is { } csv)
                {
                    log.WriteCsv(csv);
                    RunInfo.From(model, config, sftData: pairs is not null).Save(RunInfo.SidecarPath(csv));
                }
                if (parse.GetValue(tensorboard) is { } folder) TensorBoardExport.Write(log, folder);
                var val = log.LastValLoss ?? trainer.Evaluate();
                if (floor is { } f)
                {
                    // The floor assumes full context, which the first positions of a random window lack: score every character with most of a window too.
                    var stride = Math.Max(1, model.BlockSize / 4);
                    var fullContext = trainer.EvaluateFullContext(split!.Validation, stride);
                    Console.WriteLine($"entropy floor {f:F4} nats/char. Validation loss with at least {model.BlockSize - stride} characters of context for every character: " +
                                      $"{fullContext:F4}, {100 * (fullContext / f - 1):F1}% above the floor. val_loss averages all {model.BlockSize} positions of random windows, the first with almost no context: {100 * (val / f - 1):F1}% above.");
                }
                Console.WriteLine($"val_loss={val.ToString("R", CultureInfo.InvariantCulture)}");
                return 0;
            }
            finally
            {
                trainer.Dispose();
            }
        }));
        return command;
    }

    /// <summary>Token ids of the training and validation text, checked against the block size.</summary>
    static TokenSplit TextSplit(CharTokenizer tokenizer, string text, string validation, ModelConfig model)
    {
        var split = new TokenSplit(tokenizer.Encode(text), tokenizer.Encode(validation));
        if (split.Train.Length < model.BlockSize + 1)
            throw new CliError($"block size {model.BlockSize} is longer than the training text ({split.Train.Length} characters): use --block {Math.Max(1, split.Train.Length / 4)} or a larger file");
        if (split.Validation.Length < model.BlockSize + 1)
            throw new CliError($"the held-out 10% ({split.Validation.Length} characters) is shorter than block size {model.BlockSize} + 1: use a smaller --block or a larger file");
        return split;
    }

    /// <summary>
    /// Runs the trainer to its end, or <paramref name="steps"/> more steps, with a progress bar (or a line per evaluation
    /// when output is redirected), calling <paramref name="save"/> after every step; it returns the path of a checkpoint it wrote, or null.
    /// </summary>
    static void Run(Trainer trainer, Func<string?> save, int? steps = null)
    {
        var from = trainer.StepCount;
        void Line(StepRecord s) => Console.WriteLine(
            $"step {s.Step,5}  loss {s.Loss:F4}  val {s.ValLoss:F4}  lr {s.LearningRate:E2}  grad norm {s.GradNorm:F3}  {s.TokensPerSecond:N0} tok/s  MFU {s.Mfu:P1}");
        if (Console.IsOutputRedirected)
        {
            trainer.Train(steps, s =>
            {
                if (s.ValLoss is not null) Line(s);
                if (save() is { } path) Console.WriteLine($"checkpoint {path}");
            });
            return;
        }
        AnsiConsole.Progress().AutoClear(true).Start(context =>
        {
            var task = context.AddTask("training", maxValue: trainer.Config.MaxIters);
            trainer.Train(steps, s =>
            {
                task.Description = $"loss {s.Loss:F3}  {s.TokensPerSecond:N0} tok/s";
                task.Value = s.Step;
                if (save() is { } path) task.Description += $"  saved {Path.GetFileName(path)}";
                if (s.ValLoss is not null) context.Refresh();
            });
        });
        foreach (var s in trainer.Log.Steps.Where(s => s.Step > from && s.ValLoss is not null)) Line(s);
    }

    /// <summary>The training text, the validation text and the entropy floor when known (also read by <c>nbk bench</c>).</summary>
    /// <remarks>Without --data the bundled corpus is generated in memory: the same bytes as data/train.txt
    /// and data/validation.txt (a test pins this), so nbk train needs no working directory.</remarks>
    internal static (string Train, string Validation, double? Floor) LoadText(string? path)
    {
        if (path is null)
            return (OpsLogCorpus.Train().Text, OpsLogCorpus.Validation().Text, OpsLogCorpus.EntropyFloor);
        var (train, validation) = TextFile.SplitForValidation(TextFile.ReadCorpus(path));
        return (train, validation, null);
    }

    /// <summary>The prompt/response pairs of --sft: the bundled incident pairs, or a JSON Lines file.</summary>
    static IReadOnlyList<SftExample> LoadPairs(string? path) => path is null ? OpsLogCorpus.Sft() : SftExample.ReadJsonl(path);

    /// <summary>The characters of some pairs, for building the tokenizer.</summary>
    static string PairsText(IEnumerable<SftExample> pairs) => string.Concat(pairs.Select(p => p.Prompt + p.Response));
}

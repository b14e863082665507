using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using NotebookKit.Checkpoints;
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
    static readonly TrainConfig TrainDefaults = TrainConfig.CommandLineRun;

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
        public Option<int?> LrDecayIters { get; } = new("--lr-decay-iters") { Description = $"step where the cosine reaches the floor, which later steps hold (default: {TrainDefaults.LrDecayIters}, or --iters when that is fewer)" };
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
        public Option<string> Precision { get; } = Choices(new("--precision") { Description = "number format of training (auto: bf16-mixed on a CPU with bfloat16 matrix instructions, AVX512-BF16 or AMX-BF16, else fp32; it says which and why)", DefaultValueFactory = _ => "auto" }, "auto", "fp32", "bf16", "bf16-mixed", "fp16-mixed");
        /// <summary>--threads</summary>
        public Option<int> Threads { get; } = new("--threads") { Description = "torch intra-op threads (0: torch's default)", DefaultValueFactory = _ => 0 };
        /// <summary>--device</summary>
        public Option<string> Device { get; } = Choices(new("--device") { Description = "where to train (auto: CUDA when present, else CPU)", DefaultValueFactory = _ => "auto" }, "auto", "cpu", "cuda");

        /// <summary>Restricts <paramref name="option"/> to <paramref name="names"/>, checked when the command line is parsed and listed by --help.</summary>
        static Option<string> Choices(Option<string> option, params string[] names)
        {
            option.AcceptOnlyFromAmong(names);
            return option;
        }

        /// <summary>Adds every flag to <paramref name="command"/>.</summary>
        public void AddTo(Command command)
        {
            foreach (var option in new Option[] { Layers, Heads, Embd, Block, Dropout, Batch, Accum, Iters, Lr, MinLr, Warmup, LrDecayIters,
                         WeightDecay, Beta2, Clip, Ranks, Seed, EvalEvery, EvalIters, Precision, Threads, Device })
                command.Options.Add(option);
        }

        /// <summary>The model configuration the flags describe, for a vocabulary of <paramref name="vocabSize"/>.</summary>
        /// <exception cref="CliError">A value is out of range.</exception>
        public ModelConfig Model(ParseResult parse, int vocabSize) => CliError.Input(() =>
            new ModelConfig(vocabSize, parse.GetValue(Layers), parse.GetValue(Heads), parse.GetValue(Embd), parse.GetValue(Block), parse.GetValue(Dropout)).Validate());

        /// <summary>The training configuration the flags describe.</summary>
        /// <exception cref="CliError">A value is out of range.</exception>
        public TrainConfig Train(ParseResult parse) => CliError.Input(() => new TrainConfig(
            BatchSize: parse.GetValue(Batch), Accumulation: parse.GetValue(Accum), MaxIters: parse.GetValue(Iters),
            LearningRate: parse.GetValue(Lr), MinLearningRate: parse.GetValue(MinLr), WarmupIters: parse.GetValue(Warmup),
            LrDecayIters: parse.GetValue(LrDecayIters) ?? Math.Min(TrainDefaults.LrDecayIters!.Value, parse.GetValue(Iters)), WeightDecay: parse.GetValue(WeightDecay), Beta2: parse.GetValue(Beta2),
            ClipNorm: parse.GetValue(Clip), EvalEvery: parse.GetValue(EvalEvery), EvalIters: parse.GetValue(EvalIters),
            Seed: parse.GetValue(Seed), Precision: PrecisionOf(parse), Ranks: parse.GetValue(Ranks)).Validate());

        /// <summary>Applies --threads (else <paramref name="savedThreads"/>, a resumed run's) and resolves --device.</summary>
        /// <exception cref="CliError">A negative thread count, or CUDA asked for where there is none.</exception>
        public TorchSharp.torch.Device Setup(ParseResult parse, int? savedThreads = null) => CliError.Input(() =>
        {
            Workbench.SetThreads(ThreadCount(parse, savedThreads));
            return Workbench.ChooseDevice(parse.GetValue(Device)!);
        });

        /// <summary>--threads when given, else <paramref name="savedThreads"/>, else the default.</summary>
        public int ThreadCount(ParseResult parse, int? savedThreads) =>
            parse.GetResult(Threads) is { Implicit: false } || savedThreads is null ? parse.GetValue(Threads) : savedThreads.Value;

        /// <summary>
        /// The settings of a resumed run: the checkpoint's, extended by --iters (the cosine still ends where it was going
        /// to, so the steps up to the old end are those of the uninterrupted run). Any other model or training flag given
        /// must repeat the saved value, unless <paramref name="allowChanges"/>; <paramref name="otherChanges"/> (data,
        /// fault) join the same refusal.
        /// </summary>
        /// <exception cref="CliError">A flag changes a saved setting, or --iters does not extend the run.</exception>
        public (ModelConfig Model, TrainConfig Train) Resumed(ParseResult parse, Checkpoints.CheckpointManifest manifest, bool allowChanges, IReadOnlyList<string> otherChanges)
        {
            var (model, config) = (manifest.Model, manifest.Train);
            var changed = Settings().Where(s => parse.GetResult(s.Option) is { Implicit: false } && !Equals(s.Given(parse), s.Saved(model, config))).ToList();
            var described = otherChanges.Concat(changed.Select(s => $"{s.Option.Name} {s.Given(parse) ?? "unset"} (saved {s.Saved(model, config) ?? "unset"})")).ToList();
            if (described.Count > 0 && !allowChanges)
                throw new CliError($"--resume continues the run with the settings it saved, and {string.Join(", ", described)} would change them: " +
                                   "leave those flags out, or add --allow-changes to change them on purpose (the run then does not continue exactly)");
            foreach (var s in changed) (model, config) = s.Apply(model, config, parse);
            if (parse.GetResult(Iters) is { Implicit: false } && parse.GetValue(Iters) != config.MaxIters)
            {
                var iters = parse.GetValue(Iters);
                if (iters <= manifest.Step)
                    throw new CliError($"--iters {iters} does not extend the run: its checkpoint is at step {manifest.Step}; pass more steps, or leave --iters out to finish the saved {config.MaxIters}");
                config = config with { MaxIters = iters, LrDecayIters = config.LrDecayIters ?? config.MaxIters };
            }
            var (m, c) = (model, config);
            return CliError.Input(() => (m.Validate(), c.Validate()));
        }

        /// <summary>A flag that sets part of the model or the training: its value on the command line, in saved configs, and how to set it.</summary>
        sealed record Setting(Option Option, Func<ParseResult, object?> Given, Func<ModelConfig, TrainConfig, object?> Saved, Func<ModelConfig, TrainConfig, ParseResult, (ModelConfig, TrainConfig)> Apply);

        /// <summary>Every flag that changes what a run computes, except --iters (which a resume may extend).</summary>
        IEnumerable<Setting> Settings() =>
        [
            new(Layers, p => p.GetValue(Layers), (m, _) => m.Layers, (m, t, p) => (m with { Layers = p.GetValue(Layers) }, t)),
            new(Heads, p => p.GetValue(Heads), (m, _) => m.Heads, (m, t, p) => (m with { Heads = p.GetValue(Heads) }, t)),
            new(Embd, p => p.GetValue(Embd), (m, _) => m.Embd, (m, t, p) => (m with { Embd = p.GetValue(Embd) }, t)),
            new(Block, p => p.GetValue(Block), (m, _) => m.BlockSize, (m, t, p) => (m with { BlockSize = p.GetValue(Block) }, t)),
            new(Dropout, p => p.GetValue(Dropout), (m, _) => m.Dropout, (m, t, p) => (m with { Dropout = p.GetValue(Dropout) }, t)),
            new(Batch, p => p.GetValue(Batch), (_, t) => t.BatchSize, (m, t, p) => (m, t with { BatchSize = p.GetValue(Batch) })),
            new(Accum, p => p.GetValue(Accum), (_, t) => t.Accumulation, (m, t, p) => (m, t with { Accumulation = p.GetValue(Accum) })),
            new(Lr, p => p.GetValue(Lr), (_, t) => t.LearningRate, (m, t, p) => (m, t with { LearningRate = p.GetValue(Lr) })),
            new(MinLr, p => p.GetValue(MinLr), (_, t) => t.MinLearningRate, (m, t, p) => (m, t with { MinLearningRate = p.GetValue(MinLr) })),
            new(Warmup, p => p.GetValue(Warmup), (_, t) => t.WarmupIters, (m, t, p) => (m, t with { WarmupIters = p.GetValue(Warmup) })),
            new(LrDecayIters, p => p.GetValue(LrDecayIters), (_, t) => t.LrDecayIters, (m, t, p) => (m, t with { LrDecayIters = p.GetValue(LrDecayIters) })),
            new(WeightDecay, p => p.GetValue(WeightDecay), (_, t) => t.WeightDecay, (m, t, p) => (m, t with { WeightDecay = p.GetValue(WeightDecay) })),
            new(Beta2, p => p.GetValue(Beta2), (_, t) => t.Beta2, (m, t, p) => (m, t with { Beta2 = p.GetValue(Beta2) })),
            new(Clip, p => p.GetValue(Clip), (_, t) => t.ClipNorm, (m, t, p) => (m, t with { ClipNorm = p.GetValue(Clip) })),
            new(Ranks, p => p.GetValue(Ranks), (_, t) => t.Ranks, (m, t, p) => (m, t with { Ranks = p.GetValue(Ranks) })),
            new(Seed, p => p.GetValue(Seed), (_, t) => t.Seed, (m, t, p) => (m, t with { Seed = p.GetValue(Seed) })),
            new(EvalEvery, p => p.GetValue(EvalEvery), (_, t) => t.EvalEvery, (m, t, p) => (m, t with { EvalEvery = p.GetValue(EvalEvery) })),
            new(EvalIters, p => p.GetValue(EvalIters), (_, t) => t.EvalIters, (m, t, p) => (m, t with { EvalIters = p.GetValue(EvalIters) })),
            new(Precision, p => PrecisionOf(p), (_, t) => t.Precision, (m, t, p) => (m, t with { Precision = PrecisionOf(p) })),
        ];

        /// <summary>The mode --precision names; auto resolves to what <see cref="AutoPrecision"/> picks for the device --device resolves to.</summary>
        public PrecisionMode PrecisionOf(ParseResult parse) =>
            parse.GetValue(Precision) == "auto" ? AutoChoice(parse)!.Value.Mode : ParsePrecision(parse.GetValue(Precision)!);

        /// <summary>What auto picks and why, when --precision is auto; else null. Loads libtorch only in a CUDA build.</summary>
        public (PrecisionMode Mode, string Reason)? AutoChoice(ParseResult parse) =>
            parse.GetValue(Precision) == "auto"
                ? AutoPrecision.ForThisMachine(cuda: parse.GetValue(Device) == "cuda" ||
                                                     (parse.GetValue(Device) == "auto" && Workbench.CudaBuild && TorchSharp.torch.cuda.is_available()))
                : null;
    }

    /// <summary>The CLI spelling of each precision mode.</summary>
    static readonly (string Name, PrecisionMode Mode)[] PrecisionNames =
        [("fp32", PrecisionMode.Fp32), ("bf16", PrecisionMode.Bf16), ("bf16-mixed", PrecisionMode.Bf16Mixed), ("fp16-mixed", PrecisionMode.Fp16Mixed)];

    /// <summary>Maps the CLI spelling of a precision mode (fp32, bf16, bf16-mixed, fp16-mixed) to the enum.</summary>
    public static PrecisionMode ParsePrecision(string name) =>
        PrecisionNames.FirstOrDefault(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase)) is { Name: not null } known
            ? known.Mode
            : throw new ArgumentException($"precision '{name}' is not known: use fp32, bf16, bf16-mixed or fp16-mixed (auto is resolved before this)");

    /// <summary>The CLI spelling of <paramref name="mode"/>.</summary>
    public static string PrecisionName(PrecisionMode mode) => PrecisionNames.First(p => p.Mode == mode).Name;

    /// <summary>The line saying what --precision auto picked and why; null when --precision was not auto or something else set the mode.</summary>
    public static string? AutoLine(Flags flags, ParseResult parse, PrecisionMode trained) =>
        flags.AutoChoice(parse) is { } auto && auto.Mode == trained ? $"precision auto: {PrecisionName(auto.Mode)}, because {auto.Reason}" : null;

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
        var command = new Command("train", "Train a tiny GPT on a text file; prints val_loss=<value> last. Ctrl+C or SIGTERM stops after the current step, " +
                                           "saves a checkpoint (with --checkpoint-dir) and exits 130 or 143.") { data, sft, fault };
        var logFlags = new TrainLogs();
        logFlags.AddTo(command);
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
            // Everything the flags say is checked, and the run directory locked, before any data is read.
            var request = checkpointFlags.Read(parse);
            if (!request.Resuming) _ = (flags.Train(parse), flags.Model(parse, vocabSize: 2)); // the vocabulary is known only after reading the data
            using var runLock = request.Lock();
            var resume = request.Find();
            var saved = resume?.Saved;
            var dataPath = saved is null || parse.GetResult(data) is not null ? parse.GetValue(data) : saved.Data;
            var sftPairs = saved is null || parse.GetResult(sft) is { Implicit: false } ? parse.GetValue(sft) : saved.Sft;
            var faultName = saved is null || parse.GetResult(fault) is { Implicit: false } ? parse.GetValue(fault)! : saved.Fault;
            var loopFault = CliError.Input(() => LoopFaultNames.Parse(faultName));
            var changes = saved is null ? [] : new[]
            {
                (Path.GetFullPath(dataPath ?? ".") != Path.GetFullPath(saved.Data ?? "."), $"--data {dataPath ?? "(bundled)"} (saved {saved.Data ?? "(bundled)"})"),
                (sftPairs != saved.Sft, $"--sft {sftPairs} (saved {saved.Sft})"),
                (faultName != saved.Fault, $"--fault {faultName} (saved {saved.Fault})"),
            }.Where(c => c.Item1).Select(c => c.Item2).ToArray();
            var resumedSettings = resume is null ? ((ModelConfig, TrainConfig)?)null : flags.Resumed(parse, resume.Manifest, request.AllowChanges, changes);
            var logs = logFlags.Read(parse, saved);
            var saver = request.Saver(saved);
            var device = flags.Setup(parse, saved?.Threads);
            using var stop = new StopSignal();

            var pairs = sftPairs || FaultSetup.NeedsSftData(loopFault) ? SftSplitOf(LoadPairs(dataPath, sftPairs, faultName)) : null;
            var (text, validation, floor, copiedDigits) = pairs is null ? LoadText(dataPath) : (PairsText(pairs.Train), PairsText(pairs.Validation), null, null);
            var tokenizer = CharTokenizer.FromText(text + validation);
            var (model, config) = resumedSettings ?? FaultSetup.Apply(loopFault, flags.Model(parse, tokenizer.VocabSize), flags.Train(parse));
            var split = pairs is null ? TextSplit(tokenizer, text, validation, model) : null;

            Console.WriteLine($"{Workbench.Describe()}");
            Console.WriteLine($"model: {model.Layers} layers, {model.Heads} heads, width {model.Embd}, block {model.BlockSize}, vocabulary {model.VocabSize}, {model.ParameterCount:N0} parameters, dropout {model.Dropout}");
            Console.WriteLine($"training: {config.MaxIters} steps of {config.TokensPerStep(model.BlockSize):N0} tokens (batch {config.BatchSize} x block {model.BlockSize} x accumulation {config.Accumulation} x ranks {config.Ranks}), precision {config.Precision}{(pairs is null ? "" : ", on prompt/response pairs")}");
            if (resumedSettings is null && AutoLine(flags, parse, config.Precision) is { } autoLine) Console.WriteLine(autoLine);
            if (loopFault != LoopFault.None)
                Console.WriteLine($"fault: {loopFault.Name()}, a broken loop on purpose{(ResumeDrill.Needed(loopFault) ? $", resumed from a checkpoint after step {config.MaxIters / 2}" : "")}");
            Trainer Build() => pairs is null
                ? new Trainer(model, config, split!, device, entropyFloor: floor)
                : new Trainer(model, config, pairs, tokenizer.Encode, device);
            var trainer = CliError.Input(Build);
            try
            {
                if (resume is not null)
                {
                    foreach (var note in resume.Notes) Console.WriteLine(note);
                    CliError.Input(() => Checkpoint.Restore(trainer, resume.Checkpoint, tokenizer.Alphabet));
                    Console.WriteLine($"resumed from {resume.Checkpoint} at step {trainer.StepCount}" +
                                      (config.MaxIters == resume.Manifest.Train.MaxIters ? "" : $", extended from {resume.Manifest.Train.MaxIters} to {config.MaxIters} steps (the learning rate still reaches its floor at step {config.Schedule.DecaySteps})"));
                }
                else if (request.Resuming) Console.WriteLine($"no checkpoint in '{request.Directory}' yet: starting from step 0");
                if (saver.Directory is { } runDirectory)
                    new RunFile(dataPath is null ? null : Path.GetFullPath(dataPath), pairs is not null && sftPairs, faultName, logs.Timeline, logs.TensorBoard, saver.Every, saver.Keep, flags.ThreadCount(parse, saved?.Threads)).Save(runDirectory);
                using var logWriter = logs.Open(trainer, RunInfo.From(model, config, sftData: pairs is not null));
                string? AfterStep(StepRecord step)
                {
                    logWriter.Append(step);
                    return saver.AfterStep(trainer, tokenizer.Alphabet);
                }
                var clock = Stopwatch.StartNew();
                var firstStep = trainer.StepCount;
                // The resume faults stop halfway and continue from a checkpoint, restored as the fault says.
                if (ResumeDrill.Needed(loopFault) && trainer.StepCount < config.MaxIters / 2)
                {
                    Run(trainer, AfterStep, stop, config.MaxIters / 2 - trainer.StepCount);
                    if (!stop.Requested) trainer = ResumeDrill.Resume(trainer, Build, tokenizer.Alphabet);
                }
                Run(trainer, AfterStep, stop);
                var last = saver.Final(trainer, tokenizer.Alphabet);
                logWriter.Dispose();
                if (stop.Requested)
                {
                    var kept = logWriter.Describe().Concat(saver.Latest is { } checkpoint ? [$"checkpoint {checkpoint}"] : []).ToList();
                    Console.WriteLine($"stopped by {stop.Name} after step {trainer.StepCount} of {config.MaxIters}: " +
                                      (kept.Count == 0 ? "nothing was kept (no --timeline, --tensorboard or --checkpoint-dir)" : string.Join("; ", kept)) +
                                      (saver.Directory is { } d ? $"; continue with nbk train --resume {d}" : ""));
                    return stop.ExitCode;
                }
                stop.Dispose(); // everything is kept: a signal during the final evaluation ends the process at once
                if (last is not null) Console.WriteLine($"checkpoint {last}");
                if (trainer.StepCount > firstStep)
                {
                    // Wall time with evaluations and checkpoints, as a user feels it; the median step shows how much of it the machine's load took.
                    var (steps, seconds) = (trainer.StepCount - firstStep, clock.Elapsed.TotalSeconds);
                    var medianStep = Median.Of(trainer.Log.Steps.Where(s => s.Step > firstStep).Select(s => s.TokensPerSecond));
                    Console.WriteLine($"trained {steps:N0} steps in {seconds.ToString(seconds < 10 ? "F2" : "F1", CultureInfo.CurrentCulture)} s: {steps * config.TokensPerStep(model.BlockSize) / seconds:N0} tokens/s with evaluations; the median step ran at {medianStep:N0}");
                }

                var val = trainer.Log.LastValLoss ?? trainer.Evaluate();
                if (floor is { } f)
                {
                    // The floor assumes full context, which the first positions of a random window lack: score every character with most of a window too.
                    var stride = Math.Max(1, model.BlockSize / 4);
                    var losses = trainer.FullContextLosses(split!.Validation, stride);
                    var fullContext = losses.Average();
                    Console.WriteLine($"entropy floor {f:F4} nats/char. Validation loss with at least {model.BlockSize - stride} characters of context for every character: " +
                                      $"{fullContext:F4}, {100 * (fullContext / f - 1):F1}% above the floor. val_loss averages all {model.BlockSize} positions of random windows, the first with almost no context: {100 * (val / f - 1):F1}% above.");
                    // Whether the run has learned to copy versions, the last and least predictable thing it learns (data/README.md).
                    var copied = copiedDigits!.Average(i => losses[i - 1]);
                    Console.WriteLine($"version digits an ok, alert or failed line repeats from its deploy line: {copied:F2} nats each (a guess costs ln 10 = {Math.Log(10):F2}; copying, almost 0).");
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
    /// when output is redirected), calling <paramref name="afterStep"/> after every step; it returns the path of a checkpoint
    /// it wrote, or null. A stop signal ends the loop after the step it arrived in.
    /// </summary>
    static void Run(Trainer trainer, Func<StepRecord, string?> afterStep, StopSignal stop, int? steps = null)
    {
        var from = trainer.StepCount;
        var end = steps is { } n ? from + n : trainer.Config.MaxIters;
        void Loop(Action<StepRecord, string?> show)
        {
            while (trainer.StepCount < end && !stop.Requested)
            {
                var step = trainer.Step();
                show(step, afterStep(step));
            }
        }
        void Line(StepRecord s) => Console.WriteLine(
            $"step {s.Step,5}  loss {s.Loss:F4}  val {s.ValLoss:F4}  lr {s.LearningRate:E2}  grad norm {s.GradNorm:F3}  {s.TokensPerSecond:N0} tok/s  MFU {s.Mfu:P1}");
        if (Console.IsOutputRedirected)
        {
            Loop((s, checkpoint) =>
            {
                if (s.ValLoss is not null) Line(s);
                if (checkpoint is not null) Console.WriteLine($"checkpoint {checkpoint}");
            });
            return;
        }
        AnsiConsole.Progress().AutoClear(true).Start(context =>
        {
            var task = context.AddTask("training", maxValue: trainer.Config.MaxIters);
            Loop((s, checkpoint) =>
            {
                task.Description = $"loss {s.Loss:F3}  {s.TokensPerSecond:N0} tok/s";
                task.Value = s.Step;
                if (checkpoint is not null) task.Description += $"  saved {Path.GetFileName(checkpoint)}";
                if (s.ValLoss is not null) context.Refresh();
            });
        });
        foreach (var s in trainer.Log.Steps.Where(s => s.Step > from && s.ValLoss is not null)) Line(s);
    }

    /// <summary>
    /// The training text, the validation text, and for the bundled corpus its entropy floor and where the validation text
    /// repeats a version digit (<see cref="GeneratedText.CopiedVersionDigits"/>). Also read by <c>nbk bench</c>.
    /// </summary>
    /// <remarks>Without --data the bundled corpus is generated in memory: the same bytes as data/train.txt
    /// and data/validation.txt (a test pins this), so nbk train needs no working directory.</remarks>
    /// <exception cref="CliError">The file is missing, empty, not UTF-8 or too short to split.</exception>
    internal static (string Train, string Validation, double? Floor, IReadOnlyList<int>? CopiedVersionDigits) LoadText(string? path)
    {
        if (path is null)
        {
            var validationText = OpsLogCorpus.Validation();
            return (OpsLogCorpus.Train().Text, validationText.Text, OpsLogCorpus.EntropyFloor, validationText.CopiedVersionDigits);
        }
        var (train, validation) = CliError.Input(() => TextFile.SplitForValidation(TextFile.ReadCorpus(path)));
        return (train, validation, null, null);
    }

    /// <summary>
    /// The prompt/response pairs of --sft or of a fault that needs them: the bundled incident pairs, or a JSON Lines file.
    /// A fault chose pairs when <paramref name="sft"/> is false, so a plain-text --data is named as the mismatch it is.
    /// </summary>
    /// <exception cref="CliError">The file is missing or not JSON Lines pairs.</exception>
    static IReadOnlyList<SftExample> LoadPairs(string? path, bool sft, string fault)
    {
        if (path is null) return OpsLogCorpus.Sft();
        try
        {
            return SftExample.ReadJsonl(path);
        }
        catch (InvalidDataException e) when (!sft)
        {
            throw new CliError($"--fault {fault} trains on prompt/response pairs, but --data '{path}' is not a JSON Lines file of {{\"prompt\", \"response\"}} objects ({e.Message}): " +
                               "pass such a file (the course's is data/sft.jsonl), or leave out --data for the bundled pairs");
        }
        catch (Exception e) when (e is InvalidDataException or IOException)
        {
            throw new CliError(e.Message);
        }
    }

    /// <summary>Holds out validation pairs, or says in one line why there are too few.</summary>
    static SftSplit SftSplitOf(IReadOnlyList<SftExample> pairs) => CliError.Input(() => SftSplit.Of(pairs));

    /// <summary>The characters of some pairs, for building the tokenizer.</summary>
    static string PairsText(IEnumerable<SftExample> pairs) => string.Concat(pairs.Select(p => p.Prompt + p.Response));
}

using System.Globalization;
using NotebookKit.Checkpoints;
using NotebookKit.Telemetry;
using NotebookKit.Training;

namespace NotebookKit.Cli.Tests.Commands;

/// <summary>
/// What nbk train keeps when it is stopped: SIGINT and SIGTERM during a step and during a save (a real child process),
/// the logs written as the run goes, and a second process on the same run directory.
/// </summary>
public sealed class TrainStopTests : IDisposable
{
    const int Steps = 400;
    readonly string _dir = Directory.CreateTempSubdirectory("nbk-train-stop-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    string Csv => Path.Combine(_dir, "run.csv");
    string Events => Path.Combine(_dir, "tb");
    string Run => Path.Combine(_dir, "run");

    /// <summary>
    /// A model small enough that 400 steps take seconds; an evaluation (and a printed line) every 10 steps. The logs go to
    /// <see cref="Csv"/> and <see cref="Events"/> unless <paramref name="extra"/> names others.
    /// </summary>
    string[] Train(params string[] extra) => Train(Steps, extra);

    string[] Train(int iters, params string[] extra) =>
    [
        "train", "--iters", $"{iters}", "--layers", "1", "--heads", "2", "--embd", "16", "--block", "16", "--batch", "2",
        "--warmup", "2", "--eval-every", "10", "--eval-iters", "1", "--threads", "1",
        .. extra.Contains("--timeline") ? [] : new[] { "--timeline", Csv, "--tensorboard", Events }, .. extra,
    ];

    static int PrintedStep(string line) =>
        line.StartsWith("step ", StringComparison.Ordinal) ? int.Parse(line[5..].TrimStart().Split(' ')[0], CultureInfo.InvariantCulture) : 0;

    /// <summary>The one "stopped by" line, and the step it names.</summary>
    static int StoppedAt(Nbk.Result result, string signal)
    {
        var line = Assert.Single(result.Out.Split('\n'), l => l.StartsWith("stopped by", StringComparison.Ordinal));
        Assert.StartsWith($"stopped by {signal} after step ", line);
        return int.Parse(line.Split(' ')[5], CultureInfo.InvariantCulture);
    }

    [Theory]
    [InlineData(Nbk.Sigint, "SIGINT", 130)]
    [InlineData(Nbk.Sigterm, "SIGTERM", 143)]
    public void A_signal_during_a_step_finishes_it_saves_flushes_says_where_and_resume_dir_ends_as_the_straight_run(int signal, string name, int exit)
    {
        var stopped = Nbk.RunUntil(Train("--checkpoint-dir", Run), line => PrintedStep(line) >= 20, signal: signal);
        Assert.True(stopped.Exit == exit, $"exit {stopped.Exit}\n{stopped.Out}\n{stopped.Err}");
        var step = StoppedAt(stopped, name);
        Assert.InRange(step, 20, Steps - 1);

        // Every finished step is in the timeline, the run's settings beside it, the events in their folder, and a
        // checkpoint of exactly that step; the line names them all.
        var log = RunLog.ReadCsv(Csv);
        Assert.Equal(Enumerable.Range(1, step), log.Steps.Select(s => s.Step));
        Assert.Equal(2, RunInfo.Load(RunInfo.SidecarPath(Csv)).WarmupIters);
        Assert.Single(Directory.GetFiles(Events, "events.out.tfevents.*"), f => new FileInfo(f).Length > 1000);
        var checkpoint = Path.Combine(Run, Checkpoint.NameFor(step));
        Assert.Equal(step, Checkpoint.Read(checkpoint).Step);
        Assert.Contains($"timeline {Csv} ({step} steps); TensorBoard events in {Events}; checkpoint {checkpoint}; continue with nbk train --resume {Run}", stopped.Out);

        // The directory alone continues the run; it ends bit for bit where a run that never stopped ends.
        var resumed = Nbk.Run("train", "--resume", Run);
        Assert.True(resumed.Exit == 0, resumed.Err);
        var continued = RunLog.ReadCsv(Csv).Steps.Select(s => BitConverter.DoubleToInt64Bits(s.Loss)).ToArray();
        var straight = Nbk.Run(Train("--timeline", Path.Combine(_dir, "straight.csv"), "--tensorboard", Path.Combine(_dir, "tb2")));
        Assert.Equal(0, straight.Exit);
        Assert.Equal(RunLog.ReadCsv(Path.Combine(_dir, "straight.csv")).Steps.Select(s => BitConverter.DoubleToInt64Bits(s.Loss)), continued);
        Assert.Equal(straight.Out.TrimEnd().Split('\n')[^1], resumed.Out.TrimEnd().Split('\n')[^1]);
    }

    [Fact]
    public void SIGTERM_during_a_save_lets_the_save_finish_and_stops_after_it()
    {
        var environment = new Dictionary<string, string> { [Checkpoint.KillDuringSaveVariable] = $"50:{Checkpoint.OptimizerFile}:SIGTERM" };
        var stopped = Nbk.Run(Train("--checkpoint-dir", Run, "--checkpoint-every", "50"), environment);
        Assert.True(stopped.Exit == 143, $"exit {stopped.Exit}\n{stopped.Out}\n{stopped.Err}");
        var step = StoppedAt(stopped, "SIGTERM");
        Assert.InRange(step, 50, Steps - 1);
        Assert.Equal(50, Checkpoint.Read(Path.Combine(Run, Checkpoint.NameFor(50))).Step);
        Assert.Equal(step, Checkpoint.Read(Checkpoint.Latest(Run)!).Step);
        Assert.Equal(step, RunLog.ReadCsv(Csv).Steps.Count);
        Assert.Empty(Directory.GetDirectories(Run, ".*"));
    }

    [Fact]
    public void SIGKILL_leaves_every_step_the_timeline_was_handed()
    {
        var killed = Nbk.RunUntil(Train(), line => PrintedStep(line) >= 30);
        Assert.Equal(137, killed.Exit);
        // Rows reach the operating system as each step ends, so at least the printed steps survive the kill.
        var log = RunLog.ReadCsv(Csv);
        Assert.True(log.Steps.Count >= 30, $"{log.Steps.Count} rows");
        Assert.Equal(Enumerable.Range(1, log.Steps.Count), log.Steps.Select(s => s.Step));
    }

    [Fact]
    public void A_second_process_on_a_run_directory_in_use_is_refused_with_one_line()
    {
        Nbk.Result? second = null;
        var first = Nbk.RunUntil(Train(1_000_000, "--checkpoint-dir", Run), line =>
        {
            if (PrintedStep(line) < 20) return false;
            second = Nbk.Run(Train("--checkpoint-dir", Run, "--timeline", Path.Combine(_dir, "second.csv"), "--tensorboard", Path.Combine(_dir, "tb2")));
            return true;
        }, signal: Nbk.Sigterm);
        Assert.Equal(143, first.Exit);
        var step = StoppedAt(first, "SIGTERM");
        Assert.NotNull(second);
        Assert.Equal(2, second.Exit);
        var line = Assert.Single(second.Err.Split('\n'), l => l.StartsWith("nbk: ", StringComparison.Ordinal));
        Assert.Equal($"nbk: checkpoint directory '{Run}' is in use by another nbk train (it holds the lock on {Path.Combine(Run, "nbk-train.lock")}): " +
                     "wait for that run to end or stop it, or pick another --checkpoint-dir", line);
        Assert.False(File.Exists(Path.Combine(_dir, "second.csv")));

        // Once the first process has ended, the lock is free.
        var resumed = Nbk.Run("train", "--resume", Run, "--iters", $"{step + 10}");
        Assert.True(resumed.Exit == 0, resumed.Err);
    }

    [Theory]
    [InlineData("--timeline")]
    [InlineData("--tensorboard")]
    [InlineData("--checkpoint-dir")]
    public void An_unwritable_output_path_is_one_line_before_any_work(string flag)
    {
        var file = Path.Combine(_dir, "a-file");
        File.WriteAllText(file, "x");
        var blocked = Path.Combine(file, "out");
        var args = Train().ToList();
        var at = args.IndexOf(flag);
        if (at >= 0) args[at + 1] = blocked;
        else args.AddRange([flag, blocked]);

        var result = Nbk.Run([.. args]);
        Assert.Equal(2, result.Exit);
        var line = Assert.Single(result.Err.Split('\n'), l => l.StartsWith("nbk: ", StringComparison.Ordinal));
        Assert.Contains($"'{blocked}'", line);
        Assert.DoesNotContain("   at ", result.Err);
        Assert.DoesNotContain("TorchSharp", result.Out); // refused before the run began
    }

    [Fact]
    public void Bad_choices_and_mismatched_data_are_one_line_each_before_any_work()
    {
        var precision = Nbk.Run([.. Train("--precision", "fp8")]);
        Assert.Equal(2, precision.Exit);
        Assert.Contains("'fp8'", precision.Err);
        Assert.Contains("fp16-mixed", precision.Err);
        var device = Nbk.Run([.. Train("--device", "tpu")]);
        Assert.Equal(2, device.Exit);
        Assert.Contains("'tpu'", device.Err);
        Assert.Equal("", precision.Out + device.Out);

        var text = Path.Combine(_dir, "plain.txt");
        File.WriteAllText(text, string.Concat(Enumerable.Repeat("deploy api ok\n", 200)));
        var sft = Nbk.Run("train", "--fault", "sft-mask-inverted", "--data", text, "--iters", "2", "--warmup", "0");
        Assert.Equal(2, sft.Exit);
        var line = Assert.Single(sft.Err.Split('\n'), l => l.StartsWith("nbk: ", StringComparison.Ordinal));
        Assert.StartsWith($"nbk: --fault sft-mask-inverted trains on prompt/response pairs, but --data '{text}' is not a JSON Lines file", line);
    }

    [Fact]
    public void A_run_json_without_its_settings_is_one_clear_line()
    {
        var csv = Path.Combine(_dir, "t.csv");
        var log = new RunLog("t");
        log.Add(new StepRecord(1, 64, 3, 3, 1e-3, 1, false, 1000, 0.01, false, 1, 1));
        log.WriteCsv(csv);
        File.WriteAllText(RunInfo.SidecarPath(csv), "{}");
        var result = Nbk.Run("doctor", csv);
        Assert.Equal(2, result.Exit);
        var line = Assert.Single(result.Err.Split('\n'), l => l.StartsWith("nbk: ", StringComparison.Ordinal));
        Assert.StartsWith($"nbk: run information '{RunInfo.SidecarPath(csv)}' is not valid", line);
        Assert.Contains("warmupIters", line);
    }

    [Fact]
    public void Corpus_out_to_an_unwritable_folder_is_one_line()
    {
        var file = Path.Combine(_dir, "a-file");
        File.WriteAllText(file, "x");
        var result = Nbk.Run("corpus", "--out", Path.Combine(file, "data"));
        Assert.Equal(2, result.Exit);
        Assert.StartsWith($"nbk: --out '{Path.Combine(file, "data")}' cannot be written", result.Err);
        Assert.DoesNotContain("   at ", result.Err);
    }
}

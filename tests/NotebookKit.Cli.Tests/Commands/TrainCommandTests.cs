using System.CommandLine;
using NotebookKit.Cli.Commands;

namespace NotebookKit.Cli.Tests.Commands;

public sealed class TrainCommandTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("nbk-train-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    static (int Exit, string Out, string Err) Train(params string[] args)
    {
        var (output, errors) = (new StringWriter(), new StringWriter());
        var (savedOut, savedErr) = (Console.Out, Console.Error);
        Console.SetOut(output);
        Console.SetError(errors);
        try
        {
            var exit = new RootCommand { TrainCommand.Create() }.Parse(["train", .. args]).Invoke();
            return (exit, output.ToString(), errors.ToString());
        }
        finally
        {
            Console.SetOut(savedOut);
            Console.SetError(savedErr);
        }
    }

    string File(string name, byte[] bytes)
    {
        var path = Path.Combine(_dir, name);
        System.IO.File.WriteAllBytes(path, bytes);
        return path;
    }

    string Text(string name, string text) => File(name, System.Text.Encoding.UTF8.GetBytes(text));

    static string Log => string.Concat(Enumerable.Repeat("deploy api ok at 14:10\nRollback started at 14:18\n", 60));

    [Fact]
    public void Trains_a_small_model_and_prints_val_loss_last_and_writes_the_timeline()
    {
        var timeline = Path.Combine(_dir, "run.csv");
        var (exit, output, errors) = Train("--data", Text("log.txt", Log), "--layers", "1", "--embd", "16", "--heads", "2", "--block", "16",
            "--batch", "4", "--iters", "20", "--warmup", "2", "--eval-every", "10", "--eval-iters", "2", "--timeline", timeline, "--tensorboard", Path.Combine(_dir, "tb"));
        Assert.True(exit == 0, errors);
        var last = output.TrimEnd().Split('\n')[^1];
        Assert.StartsWith("val_loss=", last);
        Assert.InRange(double.Parse(last["val_loss=".Length..], System.Globalization.CultureInfo.InvariantCulture), 0.01, 5);
        Assert.Equal(21, System.IO.File.ReadAllLines(timeline).Length);
        Assert.NotEmpty(Directory.GetFiles(Path.Combine(_dir, "tb"), "events.out.tfevents.*"));
        // No --precision: auto picks from this CPU's features and says what and why, and the run trains in that mode.
        var (mode, reason) = NotebookKit.Precision.AutoPrecision.ForThisMachine(cuda: false);
        Assert.Contains($"precision auto: {TrainCommand.PrecisionName(mode)}, because {reason}", output);
        Assert.Contains($"precision {mode}", output);
    }

    [Fact]
    public void On_the_bundled_corpus_it_reports_the_distance_from_the_floor_and_the_loss_on_copied_versions()
    {
        var (exit, output, errors) = Train("--layers", "1", "--embd", "16", "--heads", "2", "--block", "16",
            "--batch", "4", "--iters", "10", "--warmup", "1", "--eval-iters", "1", "--precision", "fp32");
        Assert.True(exit == 0, errors);
        var lines = output.TrimEnd().Split('\n');
        Assert.StartsWith("val_loss=", lines[^1]);
        Assert.StartsWith("entropy floor 0.4538 nats/char. Validation loss with at least 12 characters of context for every character: ", lines[^3]);
        // Ten steps of a tiny model copy nothing: every repeated version digit costs about a guess among the digits or worse.
        var copied = System.Text.RegularExpressions.Regex.Match(lines[^2], @"^version digits an ok, alert or failed line repeats from its deploy line: (\d+\.\d\d) nats each \(a guess costs ln 10 = 2\.30; copying, almost 0\)\.$");
        Assert.True(copied.Success, lines[^2]);
        Assert.InRange(double.Parse(copied.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), 1.5, 6);
        // 10 steps of 4 x 16 tokens, timed with their evaluations.
        var timed = System.Text.RegularExpressions.Regex.Match(lines[^4], @"^trained 10 steps in (\d+\.\d+) s: ([\d,]+) tokens/s with evaluations; the median step ran at [\d,]+$");
        Assert.True(timed.Success, lines[^4]);
        var (seconds, rate) = (double.Parse(timed.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), double.Parse(timed.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture));
        var halfSecondDigit = 0.5 * Math.Pow(10, -timed.Groups[1].Value.Split('.')[1].Length);
        Assert.InRange(640, (rate - 0.5) * (seconds - halfSecondDigit), (rate + 0.5) * (seconds + halfSecondDigit)); // both figures as rounded in the line
    }

    [Fact]
    public void An_explicit_precision_is_used_as_given_without_the_auto_line()
    {
        var (exit, output, errors) = Train("--data", Text("log.txt", Log), "--layers", "1", "--embd", "16", "--heads", "2", "--block", "16",
            "--batch", "4", "--iters", "4", "--warmup", "1", "--eval-iters", "1", "--precision", "bf16-mixed");
        Assert.True(exit == 0, errors);
        Assert.Contains("precision Bf16Mixed", output);
        Assert.DoesNotContain("precision auto", output);
    }

    public static TheoryData<string, string[], string> BadInput => new()
    {
        { "heads not dividing width", ["--heads", "3", "--embd", "128"], "heads 3 do not divide width 128" },
        { "zero accumulation", ["--accum", "0"], "accumulation 0 must be at least 1" },
        { "negative lr", ["--lr", "-0.001"], "learning rate -0.001 must be positive" },
        { "warmup longer than the run", ["--iters", "20"], "warmup of 100 steps does not fit before the decay ends at step 20: use --warmup 2" },
    };

    [Theory]
    [MemberData(nameof(BadInput))]
    public void Bad_flags_exit_non_zero_with_one_clear_line(string _, string[] args, string message)
    {
        var (exit, output, errors) = Train(["--data", Text("ok.txt", Log), .. args]);
        Assert.NotEqual(0, exit);
        Assert.Contains(message, errors);
        Assert.Single(errors.Trim().Split('\n'));
        Assert.DoesNotContain("   at ", errors + output);
    }

    [Fact]
    public void Missing_empty_short_and_non_utf8_files_are_named()
    {
        var (missingExit, _, missingErrors) = Train("--data", "/nonexistent/corpus.txt");
        Assert.NotEqual(0, missingExit);
        Assert.Contains("/nonexistent/corpus.txt", missingErrors);

        var empty = Text("empty.txt", "");
        var (exit, _, errors) = Train("--data", empty);
        Assert.NotEqual(0, exit);
        Assert.Contains(empty, errors);

        var (shortExit, _, shortErrors) = Train("--data", Text("short.txt", "Rollback started at 14:18\n"));
        Assert.NotEqual(0, shortExit);
        Assert.Contains("block size 64", shortErrors);

        var latin1 = File("latin1.txt", [.. System.Text.Encoding.ASCII.GetBytes(Log), 0xE9, 0x0A]);
        var (badExit, _, badErrors) = Train("--data", latin1);
        Assert.NotEqual(0, badExit);
        Assert.Contains(latin1, badErrors);
        Assert.Contains("UTF-8", badErrors);
        Assert.DoesNotContain("   at ", shortErrors + badErrors + errors);
    }
}

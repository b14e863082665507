using System.Globalization;
using System.Security.Cryptography;
using NotebookKit.Checkpoints;

namespace NotebookKit.Cli.Tests.Commands;

/// <summary>nbk train with checkpoints, each run a separate process: exact resume, crashes, damaged checkpoints.</summary>
public sealed class TrainCheckpointTests : IDisposable
{
    const int Steps = 8;
    readonly string _dir = Directory.CreateTempSubdirectory("nbk-train-checkpoints-").FullName;
    readonly string _data;

    public TrainCheckpointTests()
    {
        _data = Path.Combine(_dir, "ops.txt");
        File.WriteAllText(_data, string.Concat(Enumerable.Range(0, 60).Select(i =>
            $"{10 + i % 12}:{i % 60:D2} deploy api-{i % 7} ok\nalert db{i % 3} latency high\nrollback started at 14:{18 + i % 40}\n")));
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>A tiny model with dropout and accumulation, so each process trains in a second or two.</summary>
    string[] Train(string name, string precision = "fp32", params string[] extra) =>
    [
        "train", "--data", _data, "--iters", $"{Steps}", "--timeline", Path.Combine(_dir, name + ".csv"),
        "--layers", "1", "--heads", "2", "--embd", "32", "--block", "16", "--batch", "4", "--accum", "2",
        "--dropout", "0.1", "--warmup", "2", "--precision", precision, "--seed", "3", "--threads", "1", .. extra,
    ];

    string[] WithCheckpoints(string name, params string[] extra) => Train(name, "fp32", ["--checkpoint-dir", Path.Combine(_dir, name), .. extra]);

    long[] Losses(string name) => File.ReadAllLines(Path.Combine(_dir, name + ".csv")).Skip(1)
        .Select(line => BitConverter.DoubleToInt64Bits(double.Parse(line.Split(',')[2], CultureInfo.InvariantCulture))).ToArray();

    static Dictionary<string, string> KillAt(int step, string file) => new() { [Checkpoint.KillDuringSaveVariable] = $"{step}:{file}" };

    static Nbk.Result Ok(Nbk.Result result)
    {
        Assert.True(result.Exit == 0, $"exit {result.Exit}\n{result.Out}\n{result.Err}");
        return result;
    }

    static Nbk.Result Killed(Nbk.Result result)
    {
        Assert.True(result.Exit == 137, $"expected a SIGKILL (137), got exit {result.Exit}\n{result.Out}\n{result.Err}");
        return result;
    }

    static string ValLoss(Nbk.Result result) => result.Out.TrimEnd().Split('\n')[^1];

    [Theory]
    [InlineData("fp32")]
    [InlineData("bf16-mixed")]
    public void Half_the_steps_then_resume_in_a_new_process_equals_the_straight_run_bit_for_bit(string precision)
    {
        var straight = Ok(Nbk.Run(Train("straight", precision)));
        // The first process dies right after its checkpoint at the half is complete, so both halves run with the
        // same flags (the schedule's length included) and nothing but the checkpoint carries the run over.
        var dir = Path.Combine(_dir, "split");
        Killed(Nbk.Run(Train("split", precision, "--checkpoint-dir", dir, "--checkpoint-every", $"{Steps / 2}"), KillAt(Steps / 2, "saved")));
        Assert.Equal([Checkpoint.NameFor(Steps / 2)], Checkpoint.List(dir).Select(Path.GetFileName));

        var resumed = Ok(Nbk.Run(Train("split", precision, "--checkpoint-dir", dir, "--resume")));
        Assert.Contains($"resumed from {Path.Combine(dir, Checkpoint.NameFor(Steps / 2))} at step {Steps / 2}", resumed.Out);
        var losses = Losses("straight");
        Assert.Equal(Steps, losses.Length);
        Assert.Equal(Steps, losses.Distinct().Count()); // the loss moves every step, so equality is not between constants
        Assert.Equal(losses, Losses("split"));
        Assert.StartsWith("val_loss=", ValLoss(straight));
        Assert.Equal(ValLoss(straight), ValLoss(resumed));
    }

    [Fact]
    public void Killed_mid_save_and_mid_training_it_resumes_from_the_newest_complete_checkpoint_and_ends_identically()
    {
        var straight = Ok(Nbk.Run(Train("straight")));
        var dir = Path.Combine(_dir, "crashy");

        // Killed after writing the optimizer state of the checkpoint at step 4: only step 2 is complete.
        Killed(Nbk.Run(WithCheckpoints("crashy", "--checkpoint-every", "2"), KillAt(4, Checkpoint.OptimizerFile)));
        Assert.Equal([Checkpoint.NameFor(2)], Checkpoint.List(dir).Select(Path.GetFileName));
        Assert.Single(Directory.GetDirectories(dir, ".tmp-*"));

        // Resumed from 2, killed with every file of step 6 written but not yet renamed into place: newest complete is 4.
        var second = Killed(Nbk.Run(WithCheckpoints("crashy", "--checkpoint-every", "2", "--resume"), KillAt(6, Checkpoint.ManifestHashFile)));
        Assert.Contains($"at step 2", second.Out);
        Assert.Equal(Checkpoint.NameFor(4), Path.GetFileName(Checkpoint.Latest(dir)));

        // Resumed from 4 and killed from outside the moment it says so, with four steps and two saves still ahead of it.
        var third = Killed(Nbk.RunUntil(WithCheckpoints("crashy", "--checkpoint-every", "2", "--resume"), line => line.StartsWith("resumed from", StringComparison.Ordinal)));
        Assert.Contains($"at step 4", third.Out);

        var last = Ok(Nbk.Run(WithCheckpoints("crashy", "--checkpoint-every", "2", "--resume")));
        Assert.Equal(ValLoss(straight), ValLoss(last));
        Assert.Equal(Losses("straight"), Losses("crashy"));
        Assert.Equal([Checkpoint.NameFor(4), Checkpoint.NameFor(6), Checkpoint.NameFor(8)], Checkpoint.List(dir).Select(Path.GetFileName));
        Assert.Empty(Directory.GetDirectories(dir, ".*"));
    }

    [Theory]
    [InlineData("truncated weights")]
    [InlineData("flipped byte")]
    [InlineData("missing manifest")]
    public void A_damaged_newest_checkpoint_is_one_clear_error_alone_and_resume_dir_falls_back_to_the_previous_one(string damage)
    {
        var dir = Path.Combine(_dir, "run");
        var first = Ok(Nbk.Run(WithCheckpoints("run", "--checkpoint-every", "4")));
        var straight = Losses("run");
        var newest = Checkpoint.Latest(dir)!;
        string expected;
        switch (damage)
        {
            case "truncated weights":
                var weights = Path.Combine(newest, Checkpoint.ModelFile);
                using (var file = new FileStream(weights, FileMode.Open)) file.SetLength(100);
                expected = $"'{weights}' is 100 bytes";
                break;
            case "flipped byte":
                var optimizer = Path.Combine(newest, Checkpoint.OptimizerFile);
                var bytes = File.ReadAllBytes(optimizer);
                bytes[^5] ^= 0x40;
                File.WriteAllBytes(optimizer, bytes);
                expected = $"'{optimizer}' has SHA-256";
                break;
            default:
                File.Delete(Path.Combine(newest, Checkpoint.ManifestFile));
                expected = $"'{Path.Combine(newest, Checkpoint.ManifestFile)}' is missing";
                break;
        }
        var before = Snapshot(dir);

        // That one checkpoint: one line naming the file and the way out, nothing changed on disk.
        var alone = Nbk.Run("train", "--resume", newest);
        Assert.Equal(2, alone.Exit);
        var error = Assert.Single(alone.Err.Split('\n'), line => line.StartsWith("nbk: ", StringComparison.Ordinal));
        Assert.Contains(expected, error);
        Assert.Contains($"pass the run directory (--resume {dir})", error);
        Assert.DoesNotContain("   at ", alone.Err);
        Assert.Equal(before, Snapshot(dir));

        // The run directory: the damaged one is moved aside with a line saying why, the run continues from step 4 and
        // ends exactly where the first run ended.
        var resumed = Ok(Nbk.Run("train", "--resume", dir));
        Assert.Contains($"checkpoint {Checkpoint.NameFor(Steps)} is damaged (", resumed.Out);
        Assert.Contains(expected, resumed.Out);
        Assert.Contains($"resumed from {Path.Combine(dir, Checkpoint.NameFor(4))} at step 4", resumed.Out);
        Assert.Equal(ValLoss(first), ValLoss(resumed));
        Assert.Equal(straight, Losses("run"));
        Assert.Single(Directory.GetDirectories(dir, $"damaged-{Checkpoint.NameFor(Steps)}-*"));
        Assert.Equal([Checkpoint.NameFor(4), Checkpoint.NameFor(Steps)], Checkpoint.List(dir).Select(Path.GetFileName));
    }

    [Fact]
    public void Resume_by_path_takes_the_saved_settings_and_refuses_flags_that_change_them()
    {
        var dir = Path.Combine(_dir, "run");
        var first = Ok(Nbk.Run(WithCheckpoints("run", "--checkpoint-every", "4")));
        var tampered = Checkpoint.NameFor(Steps);
        Directory.Delete(Path.Combine(dir, tampered), recursive: true); // as if killed after step 4's save
        var before = Snapshot(dir);

        var changed = Nbk.Run("train", "--resume", dir, "--embd", "16", "--lr", "0.5", "--data", Path.Combine(_dir, "other.txt"));
        Assert.Equal(2, changed.Exit);
        var line = Assert.Single(changed.Err.Split('\n'), l => l.StartsWith("nbk: ", StringComparison.Ordinal));
        Assert.Contains($"--data {Path.Combine(_dir, "other.txt")} (saved {_data})", line);
        Assert.Contains("--embd 16 (saved 32)", line);
        Assert.Contains("--lr 0.5 (saved 0.002)", line); // the default run's peak rate, saved with the run
        Assert.Contains("--allow-changes", line);
        var shorter = Nbk.Run("train", "--resume", dir, "--iters", "3");
        Assert.Contains("--iters 3 does not extend the run: its checkpoint is at step 4", shorter.Err);
        var allowed = Nbk.Run("train", "--resume", dir, "--embd", "16", "--allow-changes");
        Assert.Equal(2, allowed.Exit);
        Assert.Contains("holds another architecture (1 layers, 2 heads, 32 wide", allowed.Err);
        Assert.Equal(before, Snapshot(dir));

        // No flag at all: the saved data, settings and timeline path, and the first run's end bit for bit.
        var resumed = Ok(Nbk.Run("train", "--resume", Path.Combine(dir, Checkpoint.NameFor(4))));
        Assert.Equal(ValLoss(first), ValLoss(resumed));
        Assert.Equal(Steps + 1, File.ReadAllLines(Path.Combine(_dir, "run.csv")).Length);

        // Extending the run keeps the schedule's end, so its first steps are the first run's.
        var longer = Ok(Nbk.Run("train", "--resume", dir, "--iters", $"{Steps + 4}"));
        Assert.Contains($"extended from {Steps} to {Steps + 4} steps (the learning rate still reaches its floor at step {Steps})", longer.Out);
        Assert.Equal(Steps + 5, File.ReadAllLines(Path.Combine(_dir, "run.csv")).Length);
    }

    [Fact]
    public void A_new_run_refuses_a_used_checkpoint_directory_and_flags_need_a_directory()
    {
        var dir = Path.Combine(_dir, "used");
        Ok(Nbk.Run(WithCheckpoints("used")));
        var before = Snapshot(dir);
        var again = Nbk.Run(WithCheckpoints("used"));
        Assert.Equal(2, again.Exit);
        Assert.Contains($"'{dir}' already holds checkpoints (newest {Checkpoint.NameFor(Steps)}): pass --resume", again.Err);
        Assert.Equal(before, Snapshot(dir));

        var resume = Nbk.Run(Train("lost", "fp32", "--resume"));
        Assert.Equal(2, resume.Exit);
        Assert.Contains("--resume needs a path", resume.Err);
        var keep = Nbk.Run(WithCheckpoints("keep", "--keep", "0"));
        Assert.Contains("--keep 0 must be at least 1", keep.Err);
        var underFile = Nbk.Run(Train("blocked", "fp32", "--checkpoint-dir", Path.Combine(_data, "ck")));
        Assert.Equal(2, underFile.Exit);
        Assert.Contains($"cannot create checkpoint directory '{Path.Combine(_data, "ck")}'", underFile.Err);
    }

    /// <summary>Every file under <paramref name="dir"/> with its SHA-256.</summary>
    static string[] Snapshot(string dir) => Directory.GetFiles(dir, "*", SearchOption.AllDirectories).Where(f => !f.EndsWith(".lock", StringComparison.Ordinal)).Order(StringComparer.Ordinal)
        .Select(f => $"{Path.GetRelativePath(dir, f)} {Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(f)))}").ToArray();
}

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
    [InlineData("other architecture")]
    [InlineData("missing manifest")]
    public void A_damaged_or_foreign_checkpoint_is_one_clear_error_and_nothing_is_overwritten(string damage)
    {
        var dir = Path.Combine(_dir, "run");
        Ok(Nbk.Run(WithCheckpoints("run", "--checkpoint-every", "4")));
        var newest = Checkpoint.Latest(dir)!;
        var args = WithCheckpoints("run", "--resume");
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
            case "other architecture":
                args[Array.IndexOf(args, "--embd") + 1] = "16";
                expected = "holds another architecture (1 layers, 2 heads, 32 wide";
                break;
            default:
                File.Delete(Path.Combine(newest, Checkpoint.ManifestFile));
                expected = $"'{Path.Combine(newest, Checkpoint.ManifestFile)}' is missing";
                break;
        }
        var before = Snapshot(dir);

        var result = Nbk.Run(args);
        Assert.Equal(2, result.Exit);
        // One message from nbk (the native loader may add its own notice line on older Linux), no stack trace.
        var error = Assert.Single(result.Err.Split('\n'), line => line.StartsWith("nbk: ", StringComparison.Ordinal));
        Assert.Contains(expected, error);
        Assert.DoesNotContain("   at ", result.Err);
        Assert.Equal(before, Snapshot(dir));
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
        Assert.Contains("--resume needs --checkpoint-dir", resume.Err);
        var keep = Nbk.Run(WithCheckpoints("keep", "--keep", "0"));
        Assert.Contains("--keep 0 must be at least 1", keep.Err);
        var underFile = Nbk.Run(Train("blocked", "fp32", "--checkpoint-dir", Path.Combine(_data, "ck")));
        Assert.Equal(2, underFile.Exit);
        Assert.Contains($"cannot create checkpoint directory '{Path.Combine(_data, "ck")}'", underFile.Err);
    }

    /// <summary>Every file under <paramref name="dir"/> with its SHA-256.</summary>
    static string[] Snapshot(string dir) => Directory.GetFiles(dir, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal)
        .Select(f => $"{Path.GetRelativePath(dir, f)} {Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(f)))}").ToArray();
}

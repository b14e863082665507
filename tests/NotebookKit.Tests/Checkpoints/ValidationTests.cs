using NotebookKit.Checkpoints;
using NotebookKit.Tests.Training;
using static TorchSharp.torch;

namespace NotebookKit.Tests.Checkpoints;

public class ValidationTests
{
    [Fact]
    public void A_truncated_weights_file_is_named_with_both_sizes()
    {
        using var run = new ResumeRun();
        var checkpoint = run.FirstHalf();
        var path = Path.Combine(checkpoint, Checkpoint.ModelFile);
        var length = new FileInfo(path).Length;
        using (var file = new FileStream(path, FileMode.Open)) file.SetLength(length / 2);

        var error = Assert.Throws<InvalidDataException>(() => Checkpoint.Resume(checkpoint, TinyRun.Data(), device: CPU));
        Assert.Contains(path, error.Message);
        Assert.Contains($"{length / 2:N0} bytes, the manifest records {length:N0}", error.Message);
        Assert.Contains("truncated", error.Message);
    }

    [Theory]
    [InlineData(Checkpoint.ModelFile)]
    [InlineData(Checkpoint.OptimizerFile)]
    [InlineData(Checkpoint.RngFile)]
    [InlineData(Checkpoint.TelemetryFile)]
    public void A_flipped_byte_fails_the_checksum_of_that_file(string file)
    {
        using var run = new ResumeRun();
        var checkpoint = run.FirstHalf();
        var path = Path.Combine(checkpoint, file);
        FlipByte(path);

        var error = Assert.Throws<InvalidDataException>(() => Checkpoint.Read(checkpoint));
        Assert.Contains($"'{path}' has SHA-256", error.Message);
        Assert.Contains("changed after it was saved", error.Message);
    }

    [Fact]
    public void A_flipped_byte_in_the_manifest_fails_its_own_checksum()
    {
        using var run = new ResumeRun();
        var checkpoint = run.FirstHalf();
        FlipByte(Path.Combine(checkpoint, Checkpoint.ManifestFile));
        var error = Assert.Throws<InvalidDataException>(() => Checkpoint.Read(checkpoint));
        Assert.Contains(Checkpoint.ManifestFile, error.Message);
        Assert.Contains("manifest.sha256 records", error.Message);
    }

    [Fact]
    public void Another_architecture_is_refused_before_any_weight_changes()
    {
        using var run = new ResumeRun();
        var checkpoint = run.FirstHalf();
        using var deeper = run.NewTrainer(ResumeRun.Model with { Layers = 3, Embd = 16 });
        var before = deeper.Model.state_dict().ToDictionary(p => p.Key, p => p.Value.clone());

        var error = Assert.Throws<InvalidDataException>(() => Checkpoint.Restore(deeper, checkpoint, TinyRun.Alphabet));
        Assert.Contains("another architecture (2 layers, 2 heads, 32 wide, block 16", error.Message);
        Assert.Contains($"wte.weight is [{TinyRun.VocabSize}, 32] Float32 in the checkpoint but [{TinyRun.VocabSize}, 16] Float32 in this model", error.Message);
        Assert.Contains("and 36 more", error.Message); // all 28 saved tensors have the width in their shape, 12 more in the third block, minus the 4 shown

        using var wider = run.NewTrainer(ResumeRun.Model with { Layers = 3 });
        var extra = Assert.Throws<InvalidDataException>(() => Checkpoint.Restore(wider, checkpoint, TinyRun.Alphabet));
        Assert.Contains("h.2.ln_1.weight [32] Float32 is in this model but not in the checkpoint", extra.Message);
        Assert.All(deeper.Model.state_dict(), p => Assert.True(p.Value.equal(before[p.Key]).all().item<bool>(), $"{p.Key} changed"));
        Assert.Equal(0, deeper.StepCount);
    }

    [Fact]
    public void Another_format_version_is_refused_by_number()
    {
        using var run = new ResumeRun();
        var checkpoint = run.FirstHalf();
        var manifestPath = Path.Combine(checkpoint, Checkpoint.ManifestFile);
        File.WriteAllText(manifestPath, File.ReadAllText(manifestPath).Replace("\"formatVersion\": 1,", "\"formatVersion\": 2,"));
        var sha = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(manifestPath)));
        File.WriteAllText(Path.Combine(checkpoint, Checkpoint.ManifestHashFile), $"{sha}  manifest.json\n");

        var error = Assert.Throws<InvalidDataException>(() => Checkpoint.Read(checkpoint));
        Assert.Contains("format version 2, this NotebookKit reads version 1", error.Message);
    }

    [Fact]
    public void A_missing_directory_or_file_is_named()
    {
        using var run = new ResumeRun();
        var missing = Path.Combine(run.Directory, "step-00000099");
        var error = Assert.Throws<DirectoryNotFoundException>(() => Checkpoint.Read(missing));
        Assert.Contains($"'{missing}' does not exist", error.Message);

        var checkpoint = run.FirstHalf();
        File.Delete(Path.Combine(checkpoint, Checkpoint.OptimizerFile));
        var gone = Assert.Throws<InvalidDataException>(() => Checkpoint.Read(checkpoint));
        Assert.Contains($"'{Path.Combine(checkpoint, Checkpoint.OptimizerFile)}' is missing (AdamW state", gone.Message);
    }

    [Fact]
    public void Another_vocabulary_or_a_used_trainer_is_refused()
    {
        using var run = new ResumeRun();
        var checkpoint = run.FirstHalf();
        using var trainer = run.NewTrainer();
        var other = "!" + TinyRun.Alphabet[1..];
        var error = Assert.Throws<InvalidDataException>(() => Checkpoint.Restore(trainer, checkpoint, other));
        Assert.Contains("first difference at id 0: U+000A saved, U+0021 now", error.Message);

        trainer.Step();
        var used = Assert.Throws<ArgumentException>(() => Checkpoint.Restore(trainer, checkpoint, TinyRun.Alphabet));
        Assert.Contains("already taken 1 steps", used.Message);
    }

    static void FlipByte(string path)
    {
        var bytes = File.ReadAllBytes(path);
        bytes[bytes.Length / 2] ^= 0x01;
        File.WriteAllBytes(path, bytes);
    }
}

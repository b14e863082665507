using NotebookKit.Checkpoints;
using NotebookKit.Interactive;
using NotebookKit.Model;
using NotebookKit.Tests.Training;

namespace NotebookKit.Tests.Checkpoints;

public class SaveTests
{
    [Fact]
    public void Keep_retains_the_newest_and_leftovers_of_interrupted_saves_are_never_listed()
    {
        using var run = new ResumeRun();
        using var trainer = run.NewTrainer();
        System.IO.Directory.CreateDirectory(Path.Combine(run.Directory, $".tmp-step-00000001-{FinishedProcessId()}"));
        trainer.Train(5, _ => Checkpoint.Save(trainer, run.Directory, TinyRun.Alphabet, keep: 3));

        Assert.Equal(["step-00000003", "step-00000004", "step-00000005"], Checkpoint.List(run.Directory).Select(Path.GetFileName));
        Assert.Equal(Path.Combine(run.Directory, "step-00000005"), Checkpoint.Latest(run.Directory));
        Assert.Equal(3, System.IO.Directory.GetDirectories(run.Directory).Length);
    }

    [Fact]
    public void A_save_removes_the_temporary_folders_of_finished_processes_and_never_those_of_a_running_one()
    {
        using var run = new ResumeRun();
        using var trainer = run.NewTrainer();
        using var other = System.Diagnostics.Process.Start("sleep", "60"); // another process, saving as long as it lives
        var live = Path.Combine(run.Directory, $".tmp-step-00000009-{other.Id}");
        var liveTrash = Path.Combine(run.Directory, $".trash-step-00000002-{other.Id}");
        var dead = Path.Combine(run.Directory, $".tmp-step-00000008-{FinishedProcessId()}");
        foreach (var folder in new[] { live, liveTrash, dead }) File.WriteAllText(Path.Combine(System.IO.Directory.CreateDirectory(folder).FullName, "model.bin"), "partial");
        try
        {
            trainer.Train(1);
            Checkpoint.Save(trainer, run.Directory, TinyRun.Alphabet);
            Assert.True(System.IO.Directory.Exists(live));
            Assert.True(System.IO.Directory.Exists(liveTrash));
            Assert.False(System.IO.Directory.Exists(dead));
        }
        finally
        {
            other.Kill();
        }
        other.WaitForExit();
        trainer.Train(1);
        Checkpoint.Save(trainer, run.Directory, TinyRun.Alphabet);
        Assert.Equal(["step-00000001", "step-00000002"], System.IO.Directory.GetDirectories(run.Directory).Select(Path.GetFileName).Order());
    }

    /// <summary>The id of a process that has already ended.</summary>
    static int FinishedProcessId()
    {
        using var done = System.Diagnostics.Process.Start("true");
        done.WaitForExit();
        return done.Id;
    }

    [Fact]
    public void An_existing_checkpoint_is_never_overwritten()
    {
        using var run = new ResumeRun();
        var checkpoint = run.FirstHalf();
        var manifest = File.ReadAllText(Path.Combine(checkpoint, Checkpoint.ManifestFile));
        using var trainer = run.NewTrainer();
        trainer.Train(ResumeRun.N);
        var error = Assert.Throws<ArgumentException>(() => Checkpoint.Save(trainer, run.Directory, TinyRun.Alphabet));
        Assert.Contains($"'{checkpoint}' already exists and is never overwritten", error.Message);
        Assert.Equal(manifest, File.ReadAllText(Path.Combine(checkpoint, Checkpoint.ManifestFile)));
    }

    [Fact]
    public void The_manifest_lists_every_weight_once_and_the_contents_every_file_with_its_size()
    {
        using var run = new ResumeRun();
        var checkpoint = run.FirstHalf();
        var manifest = Checkpoint.Read(checkpoint);

        // Tied weights: the output head is the token embedding, so the saved tensors add up to the parameter count.
        Assert.Equal(ResumeRun.Model.ParameterCount, manifest.Tensors.Sum(t => t.Shape.Aggregate(1L, (a, b) => a * b)));
        Assert.DoesNotContain(manifest.Tensors, t => t.Name.Contains("lm_head"));
        Assert.Equal(TinyRun.Alphabet, manifest.Vocabulary);
        Assert.Equal((ResumeRun.N, ResumeRun.N, (long)ResumeRun.N), (manifest.Step, manifest.OptimizerSteps, manifest.SchedulerPosition));
        Assert.Equal(2 * ResumeRun.N, manifest.Samplers.Single().Drawn);  // accumulation 2: two batches per step
        Assert.DoesNotContain("fault", File.ReadAllText(Path.Combine(checkpoint, Checkpoint.ManifestFile)), StringComparison.OrdinalIgnoreCase);

        var table = CheckpointContents.Of(checkpoint);
        var contents = table.Entries;
        Assert.Equal([Checkpoint.ModelFile, Checkpoint.OptimizerFile, Checkpoint.RngFile, Checkpoint.TelemetryFile, Checkpoint.ManifestFile, Checkpoint.ManifestHashFile],
            contents.Select(c => c.File));
        Assert.All(contents, c => Assert.Equal(new FileInfo(Path.Combine(checkpoint, c.File)).Length, c.Bytes));
        Assert.Equal(System.IO.Directory.GetFiles(checkpoint).Length, contents.Count);
        // float32 weights plus TorchSharp's per-tensor name and shape header; the optimizer holds two moments per weight.
        var weights = contents[0].Bytes;
        Assert.InRange(weights, 4 * ResumeRun.Model.ParameterCount, 4 * ResumeRun.Model.ParameterCount + 100 * manifest.Tensors.Count);
        Assert.True(contents[1].Bytes >= 2 * 4 * ResumeRun.Model.ParameterCount, $"optimizer.bin is {contents[1].Bytes} bytes");
        Assert.Equal(5056, contents[2].Bytes); // mt19937's 624 words and the generator's extra state, as torch stores it
        Assert.Equal(System.IO.Directory.GetFiles(checkpoint).Sum(f => new FileInfo(f).Length), table.TotalBytes);
        Assert.Equal($"What {Checkpoint.NameFor(ResumeRun.N)} saves", table.Caption);
    }
}

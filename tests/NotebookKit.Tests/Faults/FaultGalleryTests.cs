using NotebookKit.Faults;
using NotebookKit.Training;
using static TorchSharp.torch;

namespace NotebookKit.Tests.Faults;

/// <summary>A gallery of one-layer models trained for 12 steps: enough for the zero_grad faults' signatures.</summary>
static class TinyGallery
{
    public static FaultGallery Create() => new(OpsLogData.Load().Model(layers: 1, heads: 1, embd: 16, blockSize: 8),
        new TrainConfig(BatchSize: 4, MaxIters: 12, LearningRate: 1e-2, MinLearningRate: 1e-3, WarmupIters: 4, EvalEvery: 6, EvalIters: 1, Seed: 7), CPU);
}

public class FaultGalleryTests
{
    [Fact]
    public void An_exhibit_puts_the_fault_beside_its_healthy_twin_and_the_doctor_names_it()
    {
        var gallery = TinyGallery.Create();
        var zeroFirst = gallery.Show(LoopFault.ZeroGradBeforeStep);
        var neverZeroed = gallery.Show(LoopFault.GradientsNeverZeroed);

        Assert.True(zeroFirst.Named, zeroFirst.Diagnosis.ToString());
        Assert.True(neverZeroed.Named, neverZeroed.Diagnosis.ToString());
        Assert.Equal(("healthy", "zero-grad-before-step"), (zeroFirst.Healthy.Name, zeroFirst.Broken.Name));
        Assert.All(zeroFirst.Broken.Steps, s => Assert.Equal(0, s.GradNormAtStep));
        Assert.True(zeroFirst.Healthy.Steps.All(s => s.GradNormAtStep > 0));
        // Both faults share one setup, so one healthy run serves both; it saw the same first batch as the broken runs.
        Assert.Same(zeroFirst.Healthy, neverZeroed.Healthy);
        Assert.Equal(zeroFirst.Healthy.Steps[0].Loss, zeroFirst.Broken.Steps[0].Loss);
        Assert.True(LoopDoctor.Diagnose(zeroFirst.Healthy, RunInfo.From(OpsLogData.Load().Model(1, 1, 16, 8), new TrainConfig(WarmupIters: 4, LearningRate: 1e-2), false)).Healthy);
    }

    [Fact]
    public void A_fault_gets_the_setup_it_needs_with_the_same_windows_per_step()
    {
        var (timeline, info) = TinyGallery.Create().Train(LoopFault.SchedulerPerMicrobatch, "early peak");
        Assert.Equal(("early peak", 8, 12), (timeline.Name, info.Accumulation, timeline.Steps.Count));
        // The first step's 8 microbatches moved the schedule 8 places: warmup (4) over, the cosine already halfway down.
        Assert.Equal(new LearningRate(1e-2, 1e-3, 4, 12).At(8), timeline.Steps[0].LearningRate);
    }
}

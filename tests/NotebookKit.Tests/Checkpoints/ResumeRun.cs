using NotebookKit.Checkpoints;
using NotebookKit.Model;
using NotebookKit.Precision;
using NotebookKit.Telemetry;
using NotebookKit.Tests.Training;
using NotebookKit.Training;
using static TorchSharp.torch;

namespace NotebookKit.Tests.Checkpoints;

/// <summary>A tiny run with dropout and accumulation, trained straight or stopped, saved and resumed, in a temporary directory.</summary>
sealed class ResumeRun : IDisposable
{
    public const int N = 6;

    public ResumeRun(PrecisionMode precision = PrecisionMode.Fp32)
    {
        Config = TinyRun.Config with { Accumulation = 2, MaxIters = 2 * N, WarmupIters = 4, Precision = precision, LossScaleGrowthInterval = 3 };
        _root = System.IO.Directory.CreateTempSubdirectory("nbk-checkpoint-test-").FullName;
        Directory = Path.Combine(_root, "run");
    }

    readonly string _root;

    public TrainConfig Config { get; }

    /// <summary>The run's checkpoint directory (created by the first save).</summary>
    public string Directory { get; }

    /// <summary>The tiny model with dropout 0.1.</summary>
    public static ModelConfig Model => TinyRun.Model(dropout: 0.1);

    public Trainer NewTrainer(ModelConfig? model = null) => new(model ?? Model, Config, TinyRun.Data(), CPU);

    /// <summary>All 2N steps without stopping.</summary>
    public IReadOnlyList<StepRecord> Straight()
    {
        using var trainer = NewTrainer();
        return trainer.Train().Steps.ToArray();
    }

    /// <summary>N steps, then a checkpoint; returns its path.</summary>
    public string FirstHalf()
    {
        using var trainer = NewTrainer();
        trainer.Train(N);
        return Checkpoint.Save(trainer, Directory, TinyRun.Alphabet);
    }

    public void Dispose()
    {
        System.IO.Directory.Delete(_root, recursive: true);
    }
}

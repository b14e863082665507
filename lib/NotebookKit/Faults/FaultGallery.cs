using NotebookKit.Model;
using NotebookKit.Telemetry;
using NotebookKit.Text;
using NotebookKit.Text.OpsLog;
using NotebookKit.Training;
using static TorchSharp.torch;

namespace NotebookKit.Faults;

/// <summary>One fault reproduced beside the healthy loop it breaks, and what the doctor read from the broken run's timeline alone.</summary>
/// <param name="Fault">The switch that was on.</param>
/// <param name="Healthy">The same setup with no fault: same model, settings, data and seed.</param>
/// <param name="Broken">The run with the fault switched on.</param>
/// <param name="Diagnosis">The doctor's reading of <paramref name="Broken"/>, given only its timeline and <see cref="RunInfo"/>.</param>
public sealed record FaultExhibit(LoopFault Fault, RunLog Healthy, RunLog Broken, Diagnosis Diagnosis)
{
    /// <summary>Whether the doctor's findings include this fault's name.</summary>
    public bool Named => Diagnosis.Names.Contains(Fault.Name());
}

/// <summary>
/// Reproduces any <see cref="LoopFault"/> on the course's data, set up as <c>nbk train --fault</c> does (see
/// <see cref="FaultSetup"/>): text faults train on the operations log, the SFT faults on its prompt/response pairs,
/// the resume faults stop and resume halfway (<see cref="ResumeDrill"/>). Healthy comparison runs are trained once
/// per distinct setup and shared between exhibits.
/// </summary>
public sealed class FaultGallery
{
    readonly ModelConfig _model;
    readonly TrainConfig _config;
    readonly Device _device;
    readonly OpsLogData _text = OpsLogData.Load();
    readonly SftSplit _pairs;
    readonly CharTokenizer _pairTokenizer;
    readonly Dictionary<(ModelConfig, TrainConfig, bool), RunLog> _healthy = [];

    /// <summary>A gallery that trains models of <paramref name="model"/>'s shape with <paramref name="config"/> (its fault is ignored).</summary>
    /// <param name="model">Layers, heads and width; the vocabulary is the corpus's, and SFT runs widen the context to 64 characters so every pair fits.</param>
    /// <param name="config">Settings every run starts from; each fault then adds what it needs (accumulation, dropout, ranks, fp16).</param>
    /// <param name="device">Where to train; null picks CUDA when available, else CPU.</param>
    public FaultGallery(ModelConfig model, TrainConfig config, Device? device = null)
    {
        var pairs = OpsLogCorpus.Sft();
        _pairs = SftSplit.Of(pairs);
        _pairTokenizer = CharTokenizer.FromText(string.Concat(pairs.Select(p => p.Prompt + p.Response)));
        _model = model with { VocabSize = _text.Tokenizer.VocabSize };
        _config = (config with { Fault = LoopFault.None }).Validate();
        _device = device ?? Runtime.Workbench.ChooseDevice();
    }

    /// <summary>Trains <paramref name="fault"/> and its healthy comparison, and asks the doctor about the broken run.</summary>
    public FaultExhibit Show(LoopFault fault)
    {
        var (broken, info) = Train(fault, fault.Name());
        var sft = FaultSetup.NeedsSftData(fault);
        var (model, config) = Setup(fault);
        var key = (model, config with { Fault = LoopFault.None }, sft);
        if (!_healthy.TryGetValue(key, out var healthy))
            _healthy[key] = healthy = Train(LoopFault.None, "healthy", model, key.Item2, sft);
        return new FaultExhibit(fault, healthy, broken, LoopDoctor.Diagnose(broken, info));
    }

    /// <summary>Trains <paramref name="fault"/> alone under the run name <paramref name="name"/>: its timeline and what it was configured to do.</summary>
    /// <param name="fault">The switch to turn on.</param>
    /// <param name="name">The timeline's name.</param>
    /// <param name="accumulation">Microbatches per step for this run, whatever the fault (null: the gallery's, raised when the fault needs it).
    /// Giving several faults the same accumulation gives them the same <see cref="RunInfo"/>, so the settings do not tell them apart.</param>
    public (RunLog Timeline, RunInfo Info) Train(LoopFault fault, string name, int? accumulation = null)
    {
        var sft = FaultSetup.NeedsSftData(fault);
        var (model, config) = Setup(fault, accumulation);
        return (Train(fault, name, model, config, sft), RunInfo.From(model, config, sft));
    }

    (ModelConfig Model, TrainConfig Config) Setup(LoopFault fault, int? accumulation = null)
    {
        var sft = FaultSetup.NeedsSftData(fault);
        var model = sft ? _model with { VocabSize = _pairTokenizer.VocabSize, BlockSize = 64 } : _model;
        var (m, c) = FaultSetup.Apply(fault, model, accumulation is { } a ? (_config with { Accumulation = a }).Validate() : _config);
        // Accumulating runs split the same batch into microbatches, so every run trains on as many windows per step.
        return (m, c with { BatchSize = Math.Max(1, c.BatchSize / c.Accumulation) });
    }

    RunLog Train(LoopFault fault, string name, ModelConfig model, TrainConfig config, bool sft)
    {
        Trainer Build() => sft
            ? new Trainer(model, config with { Fault = fault }, _pairs, _pairTokenizer.Encode, _device, name)
            : new Trainer(model, config with { Fault = fault }, _text.Split, _device, name, _text.EntropyFloor);
        using var trainer = ResumeDrill.Train(Build, sft ? _pairTokenizer.Alphabet : _text.Tokenizer.Alphabet);
        return trainer.Log;
    }
}

using static TorchSharp.torch;

namespace NotebookKit.Data;

/// <summary>
/// Where the training step gets its microbatches: windows of a token stream (<see cref="WindowSampler"/>)
/// or prompt/response pairs. One source per simulated rank; its <see cref="State"/> is the data position
/// a checkpoint saves.
/// </summary>
public interface IBatchSource
{
    /// <summary>Draws the next batch onto <paramref name="device"/>: inputs and targets, (B, T) int64.</summary>
    Batch Next(Device device);

    /// <summary>
    /// Identities of the items the next batch will hold (window start offsets, example indices), without
    /// drawing it. Equal keys mean the same training item, so the step can tell whether two ranks drew the
    /// same data and whether a batch repeats an earlier one.
    /// </summary>
    long[] PeekKeys();

    /// <summary>How many batches have been drawn so far, with the seed and rank: everything needed to continue.</summary>
    SamplerState State { get; }

    /// <summary>Continues from a saved state.</summary>
    void Restore(SamplerState state);
}

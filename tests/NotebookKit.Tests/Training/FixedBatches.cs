using NotebookKit.Data;
using static TorchSharp.torch;

namespace NotebookKit.Tests.Training;

/// <summary>
/// Hands out the given batches in turn, round and round, as copies the step may free: two loops given two of these
/// train on the same data whatever random numbers either draws.
/// </summary>
sealed class FixedBatches(IReadOnlyList<Batch> batches) : IBatchSource
{
    long _drawn;

    public Batch Next(Device device)
    {
        var batch = batches[(int)(_drawn++ % batches.Count)];
        return new Batch(batch.Inputs.clone().to(device), batch.Targets.clone().to(device));
    }

    public long[] PeekKeys() => [_drawn % batches.Count];

    public SamplerState State => new(0, 0, 1, _drawn);

    public void Restore(SamplerState state) => _drawn = state.Drawn;
}

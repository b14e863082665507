using NotebookKit.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace NotebookKit.Data;

/// <summary>
/// One microbatch: token ids and the ids the model must predict at each position.
/// </summary>
/// <param name="Inputs">Token ids, (B, T) int64.</param>
/// <param name="Targets">The next token at each position, (B, T) int64; positions excluded from the loss hold <see cref="IgnoreIndex"/>.</param>
public sealed record Batch(Tensor Inputs, Tensor Targets) : IDisposable
{
    /// <summary>Target value that excludes a position from the loss, as in PyTorch's cross_entropy.</summary>
    public const long IgnoreIndex = -100;

    /// <summary>
    /// Positions that count in the loss, when the source counted them while building the batch on the host
    /// (<see cref="WindowSampler"/>, <see cref="SftBatcher"/>); null means <see cref="CountedTokens"/> counts on the device.
    /// </summary>
    public long? KnownCountedTokens { get; init; }

    /// <summary>Number of positions that count in the loss: <see cref="KnownCountedTokens"/>, or counted on the device (one read).</summary>
    public long CountedTokens()
    {
        if (KnownCountedTokens is { } known) return known;
        using var counted = Targets.NotEqual(IgnoreIndex).sum();
        return HostRead.Long(counted);
    }

    /// <summary>Frees both tensors.</summary>
    public void Dispose()
    {
        Inputs.Dispose();
        Targets.Dispose();
    }
}

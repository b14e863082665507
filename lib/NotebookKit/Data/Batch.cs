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

    /// <summary>Number of positions that count in the loss.</summary>
    public long CountedTokens()
    {
        using var counted = Targets.ne(IgnoreIndex).sum();
        return counted.item<long>();
    }

    /// <summary>Frees both tensors.</summary>
    public void Dispose()
    {
        Inputs.Dispose();
        Targets.Dispose();
    }
}

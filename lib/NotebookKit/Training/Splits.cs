using NotebookKit.Data;

namespace NotebookKit.Training;

/// <summary>Token ids to train on and to validate on.</summary>
/// <param name="Train">The training stream.</param>
/// <param name="Validation">The held-out stream, never trained on.</param>
public sealed record TokenSplit(int[] Train, int[] Validation);

/// <summary>Prompt/response pairs to fine-tune on and to validate on.</summary>
/// <param name="Train">The pairs trained on.</param>
/// <param name="Validation">Held-out pairs; their validation loss counts response tokens only.</param>
public sealed record SftSplit(IReadOnlyList<SftExample> Train, IReadOnlyList<SftExample> Validation)
{
    /// <summary>Holds out the last <paramref name="heldOut"/> of <paramref name="examples"/> (10% by default, as for text), keeping order.</summary>
    /// <exception cref="ArgumentException">Too few pairs to leave at least one on each side.</exception>
    public static SftSplit Of(IReadOnlyList<SftExample> examples, double heldOut = 0.1)
    {
        var cut = (int)Math.Round(examples.Count * (1 - heldOut));
        if (cut < 1 || cut >= examples.Count)
            throw new ArgumentException($"{examples.Count} SFT pairs are too few to hold out {heldOut:P0} for validation: use at least {(int)Math.Ceiling(2 / Math.Min(heldOut, 1 - heldOut))} pairs");
        return new SftSplit(examples.Take(cut).ToArray(), examples.Skip(cut).ToArray());
    }
}

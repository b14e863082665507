namespace NotebookKit.Data;

/// <summary>
/// The two views of one token sequence that next-token training compares: the model reads
/// <see cref="Inputs"/> (ids 0 to n - 2) and at every position t must predict
/// <see cref="Targets"/>[t], which is the id at t + 1. An optional mask says which target positions
/// count in the loss; masked positions are written as <see cref="Batch.IgnoreIndex"/> in a batch.
/// </summary>
public sealed class ShiftedView
{
    /// <summary>Builds the views of <paramref name="ids"/>.</summary>
    /// <param name="ids">The token sequence, at least two ids (one input, one target).</param>
    /// <param name="counted">Per target position (length n - 1), whether it counts in the loss; null counts every position.</param>
    /// <exception cref="ArgumentException">Fewer than two ids, or a mask of the wrong length.</exception>
    public ShiftedView(IReadOnlyList<int> ids, IReadOnlyList<bool>? counted = null)
    {
        if (ids.Count < 2)
            throw new ArgumentException($"a sequence of {ids.Count} token(s) has no next token to predict: shifting needs at least 2 tokens");
        if (counted is not null && counted.Count != ids.Count - 1)
            throw new ArgumentException($"loss mask has {counted.Count} entries but {ids.Count} tokens give {ids.Count - 1} target positions: give one entry per target position");
        Inputs = ids.Take(ids.Count - 1).ToArray();
        Targets = ids.Skip(1).ToArray();
        Counted = counted?.ToArray() ?? Enumerable.Repeat(true, Targets.Length).ToArray();
    }

    /// <summary>What the model reads: ids[0 .. n - 2].</summary>
    public int[] Inputs { get; }

    /// <summary>What it must predict at each position: ids[1 .. n - 1].</summary>
    public int[] Targets { get; }

    /// <summary>Per position, whether the target counts in the loss.</summary>
    public bool[] Counted { get; }

    /// <summary>Number of positions T (n - 1).</summary>
    public int Length => Inputs.Length;

    /// <summary>
    /// The same sequence with the loss mask flipped: positions that counted are masked and masked ones count.
    /// On an SFT example that trains the prompt and hides the response, the broken loop
    /// <c>LoopFault.SftMaskInverted</c>; nothing else should call it.
    /// </summary>
    public ShiftedView WithMaskInverted() => new([.. Inputs, Targets[^1]], Counted.Select(counted => !counted).ToArray());

    /// <summary>Targets with masked positions replaced by <see cref="Batch.IgnoreIndex"/>, ready for cross-entropy.</summary>
    public long[] MaskedTargets() =>
        Targets.Select((target, t) => Counted[t] ? target : Batch.IgnoreIndex).ToArray();

    /// <summary>The alignment table: one row per position with the input token, the target token and whether it counts.</summary>
    /// <param name="tokenText">Printable text of a token id, e.g. <c>CharTokenizer.TokenText</c>.</param>
    public IReadOnlyList<AlignmentRow> Rows(Func<int, string> tokenText) =>
        Enumerable.Range(0, Length).Select(t => new AlignmentRow(t, tokenText(Inputs[t]), tokenText(Targets[t]), Counted[t])).ToArray();
}

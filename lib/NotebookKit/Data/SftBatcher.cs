using static TorchSharp.torch;

namespace NotebookKit.Data;

/// <summary>
/// Builds batches of SFT examples for the training step: each row is one example's shifted views,
/// prompt targets masked, padded on the right to the longest example of the batch; padding targets
/// are masked too, so only response tokens count in the loss. Draws are counter-based like
/// <see cref="WindowSampler"/>: batch n depends only on the seed and n, and <see cref="State"/> is
/// all a checkpoint needs to continue.
/// </summary>
public sealed class SftBatcher : IBatchSource
{
    readonly ShiftedView[] _views;
    readonly int _padId;

    /// <summary>Encodes every example once and checks it fits the context.</summary>
    /// <param name="examples">The pairs to draw from.</param>
    /// <param name="encode">The tokenizer, e.g. <c>CharTokenizer.Encode</c>.</param>
    /// <param name="blockSize">Context length T of the model: an example may have at most T positions (T + 1 tokens).</param>
    /// <param name="batchSize">Examples per batch, B.</param>
    /// <param name="seed">Seed of the example order.</param>
    /// <param name="padId">Input id written into padding positions (their targets are always masked); 0 by default.</param>
    /// <param name="invertMask">Flip every example's loss mask (<see cref="ShiftedView.WithMaskInverted"/>): the broken loop
    /// <c>LoopFault.SftMaskInverted</c>, where the prompt is learned and the response masked. False by default.</param>
    /// <exception cref="ArgumentException">No examples, a size is not positive, or an example is longer than the context.</exception>
    public SftBatcher(IReadOnlyList<SftExample> examples, Func<string, int[]> encode, int blockSize, int batchSize, long seed, int padId = 0, bool invertMask = false)
    {
        if (examples.Count == 0) throw new ArgumentException("no SFT examples: pass at least one prompt/response pair");
        if (blockSize <= 0) throw new ArgumentException($"block size {blockSize} must be positive");
        if (batchSize <= 0) throw new ArgumentException($"batch size {batchSize} must be positive");
        _views = examples.Select(e => e.ToView(encode)).Select(view => invertMask ? view.WithMaskInverted() : view).ToArray();
        for (var i = 0; i < _views.Length; i++)
            if (_views[i].Length > blockSize)
                throw new ArgumentException($"SFT example {i} ('{examples[i].Prompt}') has {_views[i].Length + 1} tokens, more than block size {blockSize} + 1: shorten it or use a larger --block");
        _padId = padId;
        BatchSize = batchSize;
        State = new SamplerState(seed, 0, 1, 0);
    }

    /// <summary>Examples per batch, B.</summary>
    public int BatchSize { get; }

    /// <summary>How many batches have been drawn; save it with a checkpoint and pass it to <see cref="Restore"/>.</summary>
    public SamplerState State { get; private set; }

    /// <summary>Continues from a saved state.</summary>
    public void Restore(SamplerState state) => State = state;

    /// <summary>Draws the next batch onto <paramref name="device"/>: inputs and masked targets, (B, T) int64 with T the longest example.</summary>
    public Batch Next(Device device)
    {
        var picks = Picks(State.Drawn).Select(i => _views[i]).ToArray();
        State = State with { Drawn = State.Drawn + 1 };
        return Build(picks, _padId, device);
    }

    /// <summary>The indices of the examples the next batch will hold: the same index is the same example.</summary>
    public long[] PeekKeys() => Array.ConvertAll(Picks(State.Drawn), i => (long)i);

    int[] Picks(long batchIndex) =>
        Enumerable.Range(0, BatchSize).Select(i => CounterHash.Pick(State.Seed, batchIndex * BatchSize + i, _views.Length)).ToArray();

    /// <summary>One batch from the given views, padded to the longest; padding inputs hold <paramref name="padId"/>, padding targets <see cref="Batch.IgnoreIndex"/>.</summary>
    public static Batch Build(IReadOnlyList<ShiftedView> views, int padId, Device device)
    {
        var B = views.Count;
        var T = views.Max(v => v.Length);
        var inputs = new long[B * T];
        var targets = new long[B * T];
        Array.Fill(inputs, padId);
        Array.Fill(targets, Batch.IgnoreIndex);
        for (var b = 0; b < B; b++)
        {
            var masked = views[b].MaskedTargets();
            for (var t = 0; t < views[b].Length; t++)
            {
                inputs[b * T + t] = views[b].Inputs[t];
                targets[b * T + t] = masked[t];
            }
        }
        return new Batch(tensor(inputs, [B, T], device: device), tensor(targets, [B, T], device: device))  // (B, T) each
        {
            KnownCountedTokens = targets.LongCount(t => t != Batch.IgnoreIndex),
        };
    }
}

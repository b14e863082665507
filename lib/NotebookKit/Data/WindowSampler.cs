using TorchSharp;
using static TorchSharp.torch;

namespace NotebookKit.Data;

/// <summary>
/// Draws batches of random windows of <c>blockSize + 1</c> tokens from a token stream; each window
/// gives inputs (the first T tokens) and targets (the same tokens shifted left by one).
/// </summary>
/// <remarks>
/// The generator is counter-based: window <c>i</c> of batch <c>n</c> depends only on the seed and
/// <c>(n, i)</c>, so the whole state is the number of batches drawn and a restored sampler continues
/// bit for bit. With several ranks the stream is cut into <c>worldSize</c> shards and each rank draws
/// only from its own, so no two ranks ever see the same window.
/// </remarks>
public sealed class WindowSampler : IBatchSource
{
    readonly long[] _tokens;
    readonly int _shardStart;
    readonly int _shardStarts;

    /// <summary>Creates a sampler.</summary>
    /// <param name="tokens">The token stream.</param>
    /// <param name="blockSize">Context length T.</param>
    /// <param name="batchSize">Windows per batch, B.</param>
    /// <param name="seed">Seed of the window positions.</param>
    /// <param name="rank">This replica's rank, 0 to worldSize - 1.</param>
    /// <param name="worldSize">Number of replicas; each draws from its own shard.</param>
    /// <exception cref="ArgumentException">The stream is too short for one window per shard, or a size is not positive.</exception>
    public WindowSampler(IReadOnlyList<int> tokens, int blockSize, int batchSize, long seed, int rank = 0, int worldSize = 1)
    {
        if (blockSize <= 0) throw new ArgumentException($"block size {blockSize} must be positive");
        if (batchSize <= 0) throw new ArgumentException($"batch size {batchSize} must be positive");
        if (worldSize <= 0 || rank < 0 || rank >= worldSize) throw new ArgumentException($"rank {rank} of world size {worldSize} is not valid: use 0 <= rank < world size");
        var shardLength = tokens.Count / worldSize;
        if (shardLength < blockSize + 1)
            throw new ArgumentException($"block size {blockSize} is longer than the data ({tokens.Count} tokens{(worldSize > 1 ? $" in {worldSize} shards of {shardLength}" : "")}): use a smaller block or a larger file");
        _tokens = tokens.Select(t => (long)t).ToArray();
        BlockSize = blockSize;
        BatchSize = batchSize;
        _shardStart = rank * shardLength;
        _shardStarts = shardLength - blockSize; // window starts s with s + blockSize < shard end
        State = new SamplerState(seed, rank, worldSize, 0);
    }

    /// <summary>Context length T.</summary>
    public int BlockSize { get; }

    /// <summary>Windows per batch, B.</summary>
    public int BatchSize { get; }

    /// <summary>Where the sampler is; save it with a checkpoint and pass it to <see cref="Restore"/>.</summary>
    public SamplerState State { get; private set; }

    /// <summary>Continues from a saved state.</summary>
    /// <exception cref="ArgumentException">The state belongs to another rank or world size.</exception>
    public void Restore(SamplerState state)
    {
        if (state.Rank != State.Rank || state.WorldSize != State.WorldSize)
            throw new ArgumentException($"sampler state is for rank {state.Rank} of {state.WorldSize}, this sampler is rank {State.Rank} of {State.WorldSize}");
        State = state;
    }

    /// <summary>The start offsets of the windows of the next batch, without drawing it.</summary>
    public int[] PeekStarts() => Starts(State.Drawn);

    /// <summary>The window start offsets of the next batch as keys: two ranks drawing the same start draw the same window.</summary>
    public long[] PeekKeys() => Array.ConvertAll(PeekStarts(), start => (long)start);

    /// <summary>Draws the next batch onto <paramref name="device"/>: inputs and targets, (B, T) int64.</summary>
    public Batch Next(Device device)
    {
        var starts = Starts(State.Drawn);
        State = State with { Drawn = State.Drawn + 1 };
        var T = BlockSize;
        var inputs = new long[BatchSize * T];
        var targets = new long[BatchSize * T];
        for (var b = 0; b < BatchSize; b++)
        {
            Array.Copy(_tokens, starts[b], inputs, b * T, T);
            Array.Copy(_tokens, starts[b] + 1, targets, b * T, T);
        }
        return new Batch(tensor(inputs, [BatchSize, T], device: device), tensor(targets, [BatchSize, T], device: device))  // (B, T) each
        {
            KnownCountedTokens = (long)BatchSize * T,
        };
    }

    int[] Starts(long batchIndex)
    {
        var starts = new int[BatchSize];
        for (var i = 0; i < BatchSize; i++)
            starts[i] = _shardStart + CounterHash.Pick(State.Seed, batchIndex * BatchSize + i, _shardStarts);
        return starts;
    }
}

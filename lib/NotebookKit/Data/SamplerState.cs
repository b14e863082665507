namespace NotebookKit.Data;

/// <summary>Everything a batch source (<see cref="WindowSampler"/>, <see cref="SftBatcher"/>) needs to continue exactly where it was: a checkpoint saves one per rank.</summary>
/// <param name="Seed">The seed the sampler was created with.</param>
/// <param name="Rank">This replica's rank.</param>
/// <param name="WorldSize">How many replicas share the data.</param>
/// <param name="Drawn">How many batches have been drawn so far: the data position.</param>
public sealed record SamplerState(long Seed, int Rank, int WorldSize, long Drawn);

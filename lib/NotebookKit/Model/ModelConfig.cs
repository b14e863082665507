namespace NotebookKit.Model;

/// <summary>
/// The shape of a <see cref="TinyGpt"/>. Defaults follow nanoGPT's CPU character-level run, which
/// trains in minutes on two cores and still has every part of a real decoder-only transformer.
/// </summary>
/// <param name="VocabSize">V, the number of distinct tokens (the character tokenizer's alphabet size).</param>
/// <param name="Layers">Transformer blocks. 4: enough depth for the corpus's structure, small enough for a laptop CPU.</param>
/// <param name="Heads">Attention heads per block; must divide <paramref name="Embd"/>. 4 heads of 32 channels.</param>
/// <param name="Embd">C, the width of the residual stream. 128.</param>
/// <param name="BlockSize">T, the context length in tokens. 64 characters hold a whole log line.</param>
/// <param name="Dropout">Dropout probability in attention, residual and embedding paths. 0: the model is small and the corpus large, so it does not overfit in a short run.</param>
public sealed record ModelConfig(int VocabSize, int Layers = 4, int Heads = 4, int Embd = 128, int BlockSize = 64, double Dropout = 0.0)
{
    /// <summary>Throws an <see cref="ArgumentException"/> naming the first bad value and the fix.</summary>
    public ModelConfig Validate()
    {
        if (VocabSize < 2) throw new ArgumentException($"vocabulary size {VocabSize} is too small: the data needs at least two distinct tokens");
        if (Layers < 1) throw new ArgumentException($"layers {Layers} must be at least 1");
        if (Heads < 1) throw new ArgumentException($"heads {Heads} must be at least 1");
        if (Embd < 1) throw new ArgumentException($"width (embd) {Embd} must be at least 1");
        if (Embd % Heads != 0) throw new ArgumentException($"heads {Heads} do not divide width {Embd}: pick a width that is a multiple of the head count, e.g. --embd {Heads * Math.Max(1, Embd / Heads)}");
        if (BlockSize < 1) throw new ArgumentException($"block size {BlockSize} must be at least 1");
        if (Dropout is < 0 or >= 1 || double.IsNaN(Dropout)) throw new ArgumentException($"dropout {Dropout} must be in [0, 1)");
        return this;
    }

    /// <summary>Trainable parameters: embeddings, blocks and the final LayerNorm (the output head shares the token embedding).</summary>
    public long ParameterCount
    {
        get
        {
            long C = Embd;
            var perBlock = 2 * 2 * C            // two LayerNorms, weight + bias
                           + C * 3 * C + 3 * C  // query/key/value projection
                           + C * C + C          // attention output projection
                           + C * 4 * C + 4 * C  // MLP up
                           + 4 * C * C + C;     // MLP down
            return (long)VocabSize * C + (long)BlockSize * C + Layers * perBlock + 2 * C;
        }
    }

    /// <summary>
    /// Training FLOPs per token: 6 per weight (forward 2, backward 4) plus attention's
    /// 12 x layers x width x context (the PaLM appendix's accounting, used by nanoGPT's MFU).
    /// Position embeddings are lookups, so they are left out.
    /// </summary>
    public double FlopsPerToken => 6.0 * (ParameterCount - (long)BlockSize * Embd) + 12.0 * Layers * Embd * BlockSize;
}

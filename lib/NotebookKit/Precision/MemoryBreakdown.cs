using NotebookKit.Model;

namespace NotebookKit.Precision;

/// <summary>
/// Where a training run's memory goes in one <see cref="PrecisionMode"/>, as NotebookKit trains:
/// the weights that compute, their gradients, AdamW's two moments, float32 master weights, and the
/// activations backward needs. The numbers the bf16 notebook puts side by side.
/// </summary>
/// <param name="Mode">The precision mode.</param>
/// <param name="Parameters">Trainable parameters (<see cref="ModelConfig.ParameterCount"/>).</param>
/// <param name="ParameterBytes">The weights forward and backward run on: float32 in fp32, 16-bit otherwise (the compute copy in mixed modes).</param>
/// <param name="GradientBytes">Gradients alive at the optimizer step. Mixed modes hold two sets: the compute copy's 16-bit
/// gradients from backward and their float32 copy on the masters, which the optimizer reads.</param>
/// <param name="OptimizerStateBytes">AdamW's first and second moments: two tensors shaped and typed like the weights it updates
/// (float32 masters in mixed modes, bfloat16 weights in pure bf16).</param>
/// <param name="MasterWeightBytes">Float32 master weights of mixed modes; 0 in fp32 and bf16, where the weights are their own masters.</param>
/// <param name="ActivationBytesPerToken">Estimate of what forward keeps for backward per token of a microbatch (see <see cref="For"/>).</param>
/// <param name="Tokens">Tokens in one microbatch, B x T.</param>
public sealed record MemoryBreakdown(
    PrecisionMode Mode,
    long Parameters,
    long ParameterBytes,
    long GradientBytes,
    long OptimizerStateBytes,
    long MasterWeightBytes,
    long ActivationBytesPerToken,
    long Tokens)
{
    /// <summary>Bytes that scale with the model: weights, gradients, optimizer state and masters.</summary>
    public long ModelStateBytes => ParameterBytes + GradientBytes + OptimizerStateBytes + MasterWeightBytes;

    /// <summary>Model-state bytes per parameter: 16 in fp32, 8 in bf16, 20 in the mixed modes.</summary>
    public double BytesPerParameter => (double)ModelStateBytes / Parameters;

    /// <summary>Activation estimate for one microbatch: <see cref="ActivationBytesPerToken"/> x <see cref="Tokens"/>.</summary>
    public long ActivationBytes => ActivationBytesPerToken * Tokens;

    /// <summary>Model state plus one microbatch's activations: the training step's working set, without the runtime and allocator caches.</summary>
    public long TotalBytes => ModelStateBytes + ActivationBytes;

    /// <summary>The breakdown for <paramref name="model"/> trained in <paramref name="mode"/> on microbatches of <paramref name="batch"/> x <paramref name="block"/> tokens.</summary>
    /// <remarks>
    /// The activation estimate counts the tensors each operation saves for backward, per token:
    /// per block, the LayerNorm inputs (2C), the inputs of the four linear layers (C + C + C + 4C),
    /// the query/key/value tensor (3C), the attention output (C) and the GELU input (4C): 17C values in
    /// the compute type, plus LayerNorm means and inverse deviations and attention's log-sum-exp per
    /// head in float32. Then the final LayerNorm (C, and its statistics), the head's input (C), the
    /// float32 log-softmax over the vocabulary the loss keeps (V), the int64 input and target ids, and
    /// one byte per dropout mask value when dropout is on. It assumes the fused attention kernel
    /// libtorch picks on CPU without attention dropout, which keeps no T x T matrix; transient tensors
    /// (the logits before the loss) come and go within the step and are left out. On the CPU a 16-bit model attends in
    /// float32 (<see cref="Model.CausalSelfAttention"/>), so there the attention's 4C values per block take 4 bytes
    /// each, not 2; the estimate follows the usual accelerator layout, where they stay 16-bit.
    /// </remarks>
    /// <exception cref="ArgumentException">A size is not positive, or the block is longer than the model's.</exception>
    public static MemoryBreakdown For(ModelConfig model, PrecisionMode mode, int batch, int block)
    {
        model.Validate();
        if (batch < 1) throw new ArgumentException($"batch {batch} must be at least 1");
        if (block < 1 || block > model.BlockSize) throw new ArgumentException($"block {block} must be between 1 and the model's block size {model.BlockSize}");

        var p = model.ParameterCount;
        var compute = mode == PrecisionMode.Fp32 ? 4 : 2;  // bytes per value of the weights forward runs on
        var mixed = mode is PrecisionMode.Bf16Mixed or PrecisionMode.Fp16Mixed;
        var stepped = mixed ? 4 : compute;                  // bytes per value of the weights AdamW updates

        long C = model.Embd, V = model.VocabSize;
        var perLayer = 17 * C * compute + (2 * 2 + model.Heads) * 4L;
        var head = 2 * C * compute + 2 * 4 + V * 4;
        var ids = 2 * 8;
        var dropoutMasks = model.Dropout > 0 ? (1 + 2L * model.Layers) * C : 0;
        var perToken = model.Layers * perLayer + head + ids + dropoutMasks;

        return new MemoryBreakdown(
            Mode: mode,
            Parameters: p,
            ParameterBytes: p * compute,
            GradientBytes: p * compute + (mixed ? p * 4 : 0),
            OptimizerStateBytes: 2 * p * stepped,
            MasterWeightBytes: mixed ? p * 4 : 0,
            ActivationBytesPerToken: perToken,
            Tokens: (long)batch * block);
    }
}

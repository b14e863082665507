using NotebookKit.Runtime;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;
using F = TorchSharp.torch.nn.functional;

namespace NotebookKit.Model;

/// <summary>Causal multi-head self-attention: each position attends to itself and earlier positions only.</summary>
public sealed class CausalSelfAttention : Module<Tensor, Tensor>
{
    readonly Linear c_attn, c_proj;
    readonly Dropout resid_dropout;
    readonly int _heads;
    readonly double _dropout;

    internal CausalSelfAttention(ModelConfig config) : base(nameof(CausalSelfAttention))
    {
        c_attn = Linear(config.Embd, 3 * config.Embd);
        c_proj = Linear(config.Embd, config.Embd);
        resid_dropout = Dropout(config.Dropout);
        _heads = config.Heads;
        _dropout = config.Dropout;
        RegisterComponents();
    }

    /// <summary>Attends over <paramref name="x"/>, (B, T, C), and returns (B, T, C).</summary>
    public override Tensor forward(Tensor x)
    {
        var (B, T, C) = (x.shape[0], x.shape[1], x.shape[2]);
        var qkv = c_attn.call(x).split(C, dim: 2);                                  // 3 x (B, T, C)
        var q = qkv[0].view(B, T, _heads, C / _heads).transpose(1, 2);              // (B, nh, T, hs)
        var k = qkv[1].view(B, T, _heads, C / _heads).transpose(1, 2);              // (B, nh, T, hs)
        var v = qkv[2].view(B, T, _heads, C / _heads).transpose(1, 2);              // (B, nh, T, hs)
        var y = Attend(q, k, v);                                                     // (B, nh, T, hs)
        y = y.transpose(1, 2).contiguous().view(B, T, C);                            // (B, T, C)
        return resid_dropout.call(c_proj.call(y));
    }

    /// <summary>
    /// Causal scaled dot-product attention over (B, nh, T, hs) queries, keys and values. libtorch's fused CPU attention is
    /// slow in 16-bit types: for the default model's shapes its bfloat16 forward and backward took 4x as long as
    /// float32's. So on the CPU a bfloat16 model spells attention out (scores, mask, softmax, weighted sum) in bfloat16,
    /// as autocast's products would, which took half to two thirds of the time of the fused kernel in float32 with casts
    /// around it; the price is the scores' rounding, which puts up to 2.6% of error into the gradients of q and k where
    /// attention is sharp (the casts, 0.3%). A float16 model keeps the casts: spelled out in float16, which a CPU without
    /// float16 product instructions emulates, one layer took about 40 ms against 2-7 ms (BENCHMARKS.md). In float32 and
    /// on other devices the fused kernel is the faster one.
    /// </summary>
    Tensor Attend(Tensor q, Tensor k, Tensor v)
    {
        var p = training ? _dropout : 0.0;
        // TorchSharp spells PyTorch's is_causal as is_casual.
        if (q.device_type != DeviceType.CPU || q.dtype is not (ScalarType.BFloat16 or ScalarType.Float16))
            return F.scaled_dot_product_attention(q, k, v, p: p, is_casual: true);
        if (q.dtype == ScalarType.Float16)
            return F.scaled_dot_product_attention(q.to(ScalarType.Float32), k.to(ScalarType.Float32), v.to(ScalarType.Float32), p: p, is_casual: true).to(q.dtype);
        var (T, hs) = (q.shape[2], q.shape[3]);
        using Scalar scale = 1.0 / Math.Sqrt(hs), never = double.NegativeInfinity;        // held through the ops: see HeldScalars
        // The mask is added, not filled in: -inf above the diagonal, 0 elsewhere. The sums equal masked_fill's to the bit,
        // and an addition is one vectorised pass whose backward passes the gradient through, where masked_fill's
        // forward and backward each run a scalar loop (0.3-0.4 ms of a layer's 2 ms on two threads, BENCHMARKS.md).
        using var future = full(T, T, never, dtype: q.dtype, device: q.device).triu(1);   // (T, T)
        var scores = q.matmul(k.transpose(-2, -1)).mul(scale);                             // (B, nh, T, T)
        var weights = F.softmax(scores.Plus(future), -1);                                  // (B, nh, T, T)
        return F.dropout(weights, p, training).matmul(v);                                  // (B, nh, T, hs)
    }
}

/// <summary>The position-wise feed-forward network: widen 4x, GELU, project back.</summary>
public sealed class Mlp : Module<Tensor, Tensor>
{
    readonly Linear c_fc, c_proj;
    readonly GELU gelu;
    readonly Dropout dropout;

    internal Mlp(ModelConfig config) : base(nameof(Mlp))
    {
        c_fc = Linear(config.Embd, 4 * config.Embd);
        gelu = GELU();
        c_proj = Linear(4 * config.Embd, config.Embd);
        dropout = Dropout(config.Dropout);
        RegisterComponents();
    }

    /// <summary>(B, T, C) to (B, T, C).</summary>
    public override Tensor forward(Tensor x) => dropout.call(c_proj.call(gelu.call(c_fc.call(x))));
}

/// <summary>One pre-LayerNorm transformer block: x + attn(ln(x)), then x + mlp(ln(x)).</summary>
public sealed class Block : Module<Tensor, Tensor>
{
    readonly LayerNorm ln_1, ln_2;
    readonly CausalSelfAttention attn;
    readonly Mlp mlp;

    internal Block(ModelConfig config) : base(nameof(Block))
    {
        ln_1 = LayerNorm(config.Embd);
        attn = new CausalSelfAttention(config);
        ln_2 = LayerNorm(config.Embd);
        mlp = new Mlp(config);
        RegisterComponents();
    }

    /// <summary>(B, T, C) to (B, T, C).</summary>
    public override Tensor forward(Tensor x)
    {
        x = x.Plus(attn.call(ln_1.call(x)));                                        // x + attn(ln(x))
        return x.Plus(mlp.call(ln_2.call(x)));                                       // x + mlp(ln(x))
    }
}

/// <summary>
/// A decoder-only transformer shaped like nanoGPT: token and position embeddings, pre-LayerNorm
/// blocks with causal attention and a GELU MLP, a final LayerNorm, and an output head that reuses
/// the token embedding matrix (weight tying).
/// </summary>
/// <remarks>
/// The head is computed as <c>x @ wte.weightᵀ</c> rather than as a second Linear sharing the weight,
/// so the tied matrix is registered once: the optimizer updates it once, checkpoints store it once,
/// and converting the model to bfloat16 cannot untie it.
/// </remarks>
public sealed class TinyGpt : Module<Tensor, Tensor>
{
    readonly Embedding wte, wpe;
    readonly Dropout drop;
    readonly ModuleList<Block> h;
    readonly LayerNorm ln_f;

    /// <summary>Builds the model with nanoGPT's initialisation: N(0, 0.02) weights, zero biases, and
    /// residual projections scaled by 1/sqrt(2 x layers) so the residual stream does not grow with depth.</summary>
    public TinyGpt(ModelConfig config) : base(nameof(TinyGpt))
    {
        Config = config.Validate();
        wte = Embedding(config.VocabSize, config.Embd);
        wpe = Embedding(config.BlockSize, config.Embd);
        drop = Dropout(config.Dropout);
        h = new ModuleList<Block>(Enumerable.Range(0, config.Layers).Select(_ => new Block(config)).ToArray());
        ln_f = LayerNorm(config.Embd);
        RegisterComponents();

        using var _ = no_grad();
        foreach (var (name, p) in named_parameters())
        {
            if (name.EndsWith(".bias", StringComparison.Ordinal)) init.zeros_(p);
            else if (name.StartsWith("ln_", StringComparison.Ordinal) || name.Contains(".ln_", StringComparison.Ordinal)) init.ones_(p);
            else if (name.EndsWith("c_proj.weight", StringComparison.Ordinal)) init.normal_(p, 0, 0.02 / Math.Sqrt(2 * config.Layers));
            else init.normal_(p, 0, 0.02);
        }
    }

    /// <summary>The configuration the model was built from.</summary>
    public ModelConfig Config { get; }

    /// <summary>Token ids (B, T) to next-token logits (B, T, V).</summary>
    public override Tensor forward(Tensor idx)
    {
        var T = idx.shape[1];
        if (T > Config.BlockSize)
            throw new ArgumentException($"sequence length {T} is longer than the model's block size {Config.BlockSize}");
        // An id outside the vocabulary would fail inside the embedding as a native index error that names nothing.
        if (idx.numel() > 0)
        {
            var (low, high) = (idx.min().item<long>(), idx.max().item<long>());
            if (low < 0 || high >= Config.VocabSize)
                throw new ArgumentException($"token id {(low < 0 ? low : high)} is outside the model's vocabulary 0..{Config.VocabSize - 1}: encode the text with the tokenizer the model was built for (VocabSize = tokenizer.VocabSize)");
        }
        using Scalar first = 0, end = T, stride = 1;                               // held through arange: see HeldScalars
        using var pos = arange(first, end, stride, dtype: ScalarType.Int64, device: idx.device);  // (T)
        var x = drop.call(wte.call(idx).Plus(wpe.call(pos)));                      // (B, T, C)
        foreach (var block in h) x = block.call(x);                                // (B, T, C)
        x = ln_f.call(x);                                                          // (B, T, C)
        return F.linear(x, wte.weight!);                                           // (B, T, V)
    }
}

namespace NotebookKit.Precision;

/// <summary>How numbers are stored and computed during training.</summary>
public enum PrecisionMode
{
    /// <summary>Everything in float32: the reference.</summary>
    Fp32,
    /// <summary>The model itself in bfloat16: weights, gradients and optimizer state all lose mantissa bits.</summary>
    Bf16,
    /// <summary>A bfloat16 copy computes forward and backward; float32 master weights and optimizer state take the step.</summary>
    Bf16Mixed,
    /// <summary>A float16 copy computes forward and backward with dynamic loss scaling; overflowing steps are skipped and counted.</summary>
    Fp16Mixed,
}

using NotebookKit.Data;
using NotebookKit.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace NotebookKit.Training;

/// <summary>
/// The gradient an optimizer step would see after accumulating microbatches, read out as one flat
/// vector so two ways of computing it can be compared number by number. Its loss lines are
/// <see cref="Trainer.Step"/>'s, healthy and faulty, and a test holds its gradient equal to the one the
/// trainer's optimizer receives, so a fault switched on here changes the gradient exactly as it does in training.
/// </summary>
public static class GradientAccumulation
{
    /// <summary>
    /// Splits <paramref name="batch"/> (B rows) into <paramref name="microbatches"/> consecutive
    /// microbatches of B / microbatches rows each: 32 windows become 8 microbatches of 4.
    /// </summary>
    /// <exception cref="ArgumentException">B is not a multiple of <paramref name="microbatches"/>, or the count is below 1.</exception>
    public static IReadOnlyList<Batch> Split(Batch batch, int microbatches)
    {
        var rows = batch.Inputs.shape[0];
        if (microbatches < 1 || rows % microbatches != 0)
            throw new ArgumentException($"cannot split a batch of {rows} rows into {microbatches} equal microbatches: pick a count that divides {rows}");
        var size = rows / microbatches;
        return Enumerable.Range(0, microbatches)
            .Select(i => new Batch(batch.Inputs.narrow(0, i * size, size), batch.Targets.narrow(0, i * size, size)))  // (B / n, T) each
            .ToArray();
    }

    /// <summary>
    /// Clears the gradients of <paramref name="model"/>, then runs forward, loss and backward for the
    /// first <paramref name="upTo"/> microbatches (all of them by default), each loss normalised by the
    /// counted target tokens of ALL the microbatches, as one optimizer step does. Returns every
    /// parameter's gradient concatenated in registration order, in the model's dtype; the model's
    /// .grad is left holding the same values (so clipping can be applied to it).
    /// </summary>
    /// <param name="model">A model mapping token ids (B, T) to logits (B, T, V); one rank, so no all-reduce is involved.</param>
    /// <param name="microbatches">The step's microbatches; they may hold different numbers of counted tokens.</param>
    /// <param name="fault">An accumulation fault to reproduce (<see cref="LoopFault.AccumulationNotDivided"/>,
    /// <see cref="LoopFault.MeanOfMicrobatchMeans"/>); <see cref="LoopFault.None"/> is the healthy normalisation.</param>
    /// <param name="upTo">How many microbatches to backpropagate before reading the gradient: what .grad holds part-way through a step.</param>
    /// <exception cref="ArgumentException">No microbatches, or <paramref name="upTo"/> outside 1 to the count.</exception>
    public static Tensor Gradient(nn.Module<Tensor, Tensor> model, IReadOnlyList<Batch> microbatches, LoopFault fault = LoopFault.None, int? upTo = null)
    {
        if (microbatches.Count == 0) throw new ArgumentException("no microbatches: pass at least one batch");
        var count = upTo ?? microbatches.Count;
        if (count < 1 || count > microbatches.Count)
            throw new ArgumentException($"upTo {count} is outside 1 to {microbatches.Count}: it counts microbatches already backpropagated");
        var stepTokens = microbatches.Sum(b => b.CountedTokens());
        model.zero_grad();
        foreach (var batch in microbatches.Take(count))
        {
            using var scope = NewDisposeScope();
            var logits = model.call(batch.Inputs);                                                             // (B, T, V)
            var lossSum = StepLoss.Sum(logits, batch.Targets);                                                 // ()
            var loss = lossSum.Over(stepTokens);                                                               // ()
            if (fault == LoopFault.AccumulationNotDivided) loss = lossSum.Over(batch.CountedTokens());          // fault: each microbatch's mean, undivided
            if (fault == LoopFault.MeanOfMicrobatchMeans) loss = lossSum.Over(batch.CountedTokens()).Over(microbatches.Count);  // fault: a mean of microbatch means
            loss.backward();
        }
        var grads = model.parameters().Select(p => p.grad).OfType<Tensor>().Select(g => g.detach().flatten()).ToArray();
        return cat(grads).clone();                                                                             // (P)
    }
}

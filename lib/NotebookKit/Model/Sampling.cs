using NotebookKit.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace NotebookKit.Model;

/// <summary>
/// The model writes text: next-token probabilities for a context, and seeded generation one token at a time,
/// greedy, with a temperature, or from the top k tokens only. The model sees at most its block size of context
/// (the last tokens, as nanoGPT crops), runs in eval mode without gradients, and is left in the mode it was in.
/// </summary>
public static class Sampling
{
    /// <summary>
    /// The probability of every token coming next after <paramref name="context"/>: softmax of the last position's
    /// logits, (V) in float64, summing to 1.
    /// </summary>
    /// <exception cref="ArgumentException">The context is empty or holds an id outside the vocabulary.</exception>
    public static double[] NextTokenProbabilities(TinyGpt model, IReadOnlyList<int> context) =>
        Softmax(NextTokenLogits(model, context), temperature: 1.0);

    /// <summary>The probability that <paramref name="next"/> is the character after <paramref name="prompt"/>.</summary>
    /// <exception cref="ArgumentException">The prompt is empty, or a character is not in the tokenizer's alphabet.</exception>
    public static double NextTokenProbability(TinyGpt model, CharTokenizer tokenizer, string prompt, char next) =>
        NextTokenProbabilities(model, tokenizer.Encode(prompt))[tokenizer.Encode(next.ToString())[0]];

    /// <summary>
    /// Continues <paramref name="prompt"/> by <paramref name="count"/> tokens, each drawn from the model's next-token
    /// distribution given everything so far.
    /// </summary>
    /// <param name="model">The model; its mode (train or eval) is restored afterwards.</param>
    /// <param name="prompt">Token ids to continue; at least one.</param>
    /// <param name="count">Tokens to generate.</param>
    /// <param name="temperature">Divides the logits before the softmax: 1 samples the model's own distribution, below 1 sharpens
    /// it, above 1 flattens it. 0 is greedy: always the most likely token (the lowest id on a tie), with no randomness at all.</param>
    /// <param name="topK">Draw only among the k most likely tokens (their probabilities renormalised); null draws among all.</param>
    /// <param name="seed">Seeds the draws: the same model, prompt, settings and seed give the same tokens. Draws use their own
    /// generator, so sampling never moves torch's global random state (dropout masks, data order).</param>
    /// <returns>The generated ids, without the prompt.</returns>
    /// <exception cref="ArgumentException">A negative count or temperature, top-k below 1, or a bad prompt.</exception>
    public static int[] Generate(TinyGpt model, IReadOnlyList<int> prompt, int count, double temperature = 1.0, int? topK = null, int seed = 0)
    {
        if (count < 0) throw new ArgumentException($"count {count} must not be negative");
        if (!(temperature >= 0) || double.IsInfinity(temperature)) throw new ArgumentException($"temperature {temperature} must be 0 (greedy) or positive, e.g. 0.8");
        if (topK is < 1) throw new ArgumentException($"top-k {topK} must be at least 1 (1 is greedy), or null to draw among all tokens");
        var random = new Random(seed);
        var ids = prompt.ToList();
        for (var i = 0; i < count; i++)
        {
            var logits = NextTokenLogits(model, ids);
            ids.Add(temperature == 0 ? ArgMax(logits) : Draw(Softmax(KeepTopK(logits, topK), temperature), random.NextDouble()));
        }
        return ids.Skip(prompt.Count).ToArray();
    }

    /// <summary>Continues the text <paramref name="prompt"/> by <paramref name="count"/> characters; see <see cref="Generate(TinyGpt, IReadOnlyList{int}, int, double, int?, int)"/>.</summary>
    /// <returns>The generated characters, without the prompt.</returns>
    public static string Generate(TinyGpt model, CharTokenizer tokenizer, string prompt, int count, double temperature = 1.0, int? topK = null, int seed = 0) =>
        tokenizer.Decode(Generate(model, tokenizer.Encode(prompt), count, temperature, topK, seed));

    /// <summary>The last position's logits for <paramref name="context"/>, cropped to the block size, as float64 (V).</summary>
    static double[] NextTokenLogits(TinyGpt model, IReadOnlyList<int> context)
    {
        if (context.Count == 0) throw new ArgumentException("the prompt is empty: give at least one token to continue");
        var vocab = model.Config.VocabSize;
        if (context.Where(id => id < 0 || id >= vocab).Select(id => (int?)id).FirstOrDefault() is { } bad)
            throw new ArgumentException($"token id {bad} is outside the model's vocabulary of {vocab}: encode the prompt with the tokenizer the model was trained with");
        var window = context.Skip(Math.Max(0, context.Count - model.Config.BlockSize)).Select(id => (long)id).ToArray();
        var wasTraining = model.training;
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        model.eval();
        try
        {
            var device = model.parameters().First().device;
            var logits = model.call(tensor(window, [1, window.Length], device: device));                      // (1, T, V)
            return logits[0, -1].to(ScalarType.Float64).cpu().data<double>().ToArray();                       // (V)
        }
        finally
        {
            if (wasTraining) model.train();
        }
    }

    /// <summary>softmax(logits / temperature) in float64; -inf logits get probability 0.</summary>
    internal static double[] Softmax(double[] logits, double temperature)
    {
        var max = logits.Max();
        var weights = logits.Select(l => double.IsNegativeInfinity(l) ? 0 : Math.Exp((l - max) / temperature)).ToArray();
        var total = weights.Sum();
        return weights.Select(w => w / total).ToArray();
    }

    /// <summary>The logits with every token outside the k largest set to -inf (ties at the k-th broken towards the lower id).</summary>
    internal static double[] KeepTopK(double[] logits, int? k)
    {
        if (k is not { } keep || keep >= logits.Length) return logits;
        var kept = logits.Select((l, id) => (l, id)).OrderByDescending(p => p.l).ThenBy(p => p.id).Take(keep).Select(p => p.id).ToHashSet();
        return logits.Select((l, id) => kept.Contains(id) ? l : double.NegativeInfinity).ToArray();
    }

    /// <summary>The token whose cumulative probability first exceeds <paramref name="u"/> in [0, 1): inverse-CDF sampling.</summary>
    internal static int Draw(double[] probabilities, double u)
    {
        var cumulative = 0.0;
        var last = 0;
        for (var id = 0; id < probabilities.Length; id++)
        {
            if (probabilities[id] == 0) continue;
            cumulative += probabilities[id];
            last = id;
            if (u < cumulative) return id;
        }
        return last; // u within rounding of 1: the last token with any probability
    }

    static int ArgMax(double[] values)
    {
        var best = 0;
        for (var i = 1; i < values.Length; i++)
            if (values[i] > values[best]) best = i;
        return best;
    }
}

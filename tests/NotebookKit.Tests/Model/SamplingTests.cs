using NotebookKit.Model;
using NotebookKit.Runtime;
using NotebookKit.Tests.Training;
using NotebookKit.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace NotebookKit.Tests.Model;

public class SamplingTests
{
    static TinyGpt Trained(int steps = 40)
    {
        var trainer = new Trainer(TinyRun.Model(), TinyRun.Config with { MaxIters = steps }, TinyRun.Data(), CPU);
        trainer.Train();
        return trainer.Model;
    }

    static int[] Prompt => [.. "rollback api at ".Select(c => TinyRun.Alphabet.IndexOf(c))];

    /// <summary>The last position's logits for <paramref name="ids"/>, straight from a forward pass (no cropping needed: callers stay within the block).</summary>
    static float[] LogitsByHand(TinyGpt model, IReadOnlyList<int> ids)
    {
        using var _ = no_grad();
        var window = ids.Skip(Math.Max(0, ids.Count - model.Config.BlockSize)).Select(i => (long)i).ToArray();
        return model.call(tensor(window, [1, window.Length]))[0, -1].data<float>().ToArray();
    }

    [Fact]
    public void Greedy_is_the_argmax_of_each_forward_pass()
    {
        var model = Trained();
        var generated = Sampling.Generate(model, Prompt, 30, temperature: 0);
        var ids = Prompt.ToList();
        for (var i = 0; i < 30; i++)
        {
            var logits = LogitsByHand(model, ids);
            ids.Add(Array.IndexOf(logits, logits.Max()));
        }
        Assert.Equal(ids.Skip(Prompt.Length), generated);
    }

    [Fact]
    public void Top_k_never_emits_a_token_outside_the_k_most_likely()
    {
        var model = Trained();
        foreach (var seed in new[] { 1, 2, 3 })
        {
            // A high temperature flattens the distribution, so a token outside the top 3 would be drawn often if allowed.
            var generated = Sampling.Generate(model, Prompt, 40, temperature: 3.0, topK: 3, seed: seed);
            var ids = Prompt.ToList();
            foreach (var token in generated)
            {
                var logits = LogitsByHand(model, ids);
                var rank = logits.Count(l => l > logits[token]);
                Assert.True(rank < 3, $"seed {seed}: token {token} had {rank} tokens more likely than it");
                ids.Add(token);
            }
        }
    }

    [Fact]
    public void Without_top_k_a_flat_distribution_does_draw_outside_the_top_3()
    {
        // The counterpart of the top-k test: the same draws without the cut do reach lower-ranked tokens, so the test above can fail.
        var model = Trained();
        var generated = Sampling.Generate(model, Prompt, 40, temperature: 3.0, seed: 1);
        var ids = Prompt.ToList();
        var outside = 0;
        foreach (var token in generated)
        {
            var logits = LogitsByHand(model, ids);
            if (logits.Count(l => l > logits[token]) >= 3) outside++;
            ids.Add(token);
        }
        Assert.True(outside > 5, $"only {outside} of 40 draws fell outside the top 3");
    }

    [Fact]
    public void The_same_seed_gives_the_same_text_and_another_seed_another()
    {
        var model = Trained();
        var a = Sampling.Generate(model, Prompt, 60, temperature: 1.5, seed: 11);
        var b = Sampling.Generate(model, Prompt, 60, temperature: 1.5, seed: 11);
        var c = Sampling.Generate(model, Prompt, 60, temperature: 1.5, seed: 12);
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
    }

    [Fact]
    public void Sampling_leaves_torch_global_random_state_alone()
    {
        var model = Trained();
        Workbench.Seed(5);
        var expected = rand(4).data<float>().ToArray();
        Workbench.Seed(5);
        Sampling.Generate(model, Prompt, 20, seed: 3);
        Assert.Equal(expected, rand(4).data<float>().ToArray());
    }

    [Fact]
    public void A_temperature_near_zero_is_greedy()
    {
        var model = Trained();
        Assert.Equal(Sampling.Generate(model, Prompt, 40, temperature: 0), Sampling.Generate(model, Prompt, 40, temperature: 1e-6, seed: 4));
    }

    [Fact]
    public void Next_token_probabilities_are_the_softmax_of_the_last_logits()
    {
        var model = Trained();
        var probabilities = Sampling.NextTokenProbabilities(model, Prompt);
        var logits = LogitsByHand(model, Prompt).Select(l => (double)l).ToArray();
        var z = logits.Sum(l => Math.Exp(l));
        Assert.Equal(1.0, probabilities.Sum(), 12);
        for (var i = 0; i < logits.Length; i++) Assert.Equal(Math.Exp(logits[i]) / z, probabilities[i], 6);
    }

    [Fact]
    public void Long_generations_see_only_the_last_block_of_context()
    {
        var model = Trained();
        var generated = Sampling.Generate(model, Prompt, 40, temperature: 0);  // prompt 16 + 40 > block 16
        var ids = Prompt.Concat(generated).ToList();
        var last = LogitsByHand(model, ids.Take(ids.Count - 1).ToList());
        Assert.Equal(Array.IndexOf(last, last.Max()), ids[^1]);
    }

    [Fact]
    public void The_model_is_left_in_the_mode_it_was_in()
    {
        var model = Trained();
        model.train();
        Sampling.Generate(model, Prompt, 3);
        Assert.True(model.training);
        model.eval();
        Sampling.NextTokenProbabilities(model, Prompt);
        Assert.False(model.training);
    }

    [Theory]
    [InlineData(0.0, 0)]
    [InlineData(0.1999, 0)]
    [InlineData(0.2001, 2)]   // token 1 has probability 0: never drawn
    [InlineData(0.6999, 2)]
    [InlineData(0.7001, 3)]
    [InlineData(0.9999999, 3)]
    public void Draw_inverts_the_cumulative_distribution(double u, int expected) =>
        Assert.Equal(expected, Sampling.Draw([0.2, 0.0, 0.5, 0.3], u));

    [Fact]
    public void Temperature_divides_the_logits_before_the_softmax()
    {
        // logits 0 and ln 2: probabilities 1/3 and 2/3 at temperature 1; at 0.5 the gap doubles to ln 4: 1/5 and 4/5.
        var one = Sampling.Softmax([0, Math.Log(2)], 1.0);
        var half = Sampling.Softmax([0, Math.Log(2)], 0.5);
        Assert.Equal(1.0 / 3, one[0], 12);
        Assert.Equal(1.0 / 5, half[0], 12);
        Assert.Equal(4.0 / 5, half[1], 12);
    }

    [Fact]
    public void Top_k_keeps_the_k_largest_logits()
    {
        var kept = Sampling.KeepTopK([0.5, 2.0, -1.0, 1.0], 2);
        Assert.Equal([double.NegativeInfinity, 2.0, double.NegativeInfinity, 1.0], kept);
    }

    [Fact]
    public void Bad_arguments_say_what_to_do()
    {
        var model = new TinyGpt(TinyRun.Model());
        Assert.Contains("prompt is empty", Assert.Throws<ArgumentException>(() => Sampling.Generate(model, [], 3)).Message);
        Assert.Contains($"token id 99 is outside the model's vocabulary of {TinyRun.VocabSize}", Assert.Throws<ArgumentException>(() => Sampling.Generate(model, [99], 3)).Message);
        Assert.Contains("temperature -1", Assert.Throws<ArgumentException>(() => Sampling.Generate(model, Prompt, 3, temperature: -1)).Message);
        Assert.Contains("top-k 0", Assert.Throws<ArgumentException>(() => Sampling.Generate(model, Prompt, 3, topK: 0)).Message);
    }
}

using NotebookKit.Model;
using NotebookKit.Training;

namespace NotebookKit.Tests.Training;

/// <summary>A small seeded setup that trains in milliseconds: a repetitive log-like text as ids.</summary>
static class TinyRun
{
    public const string Text = "deploy api ok\nalert db high\nrollback api at 14:18\ndeploy web ok\n";

    public static TokenSplit Data()
    {
        var ids = Enumerable.Repeat(Text, 40).SelectMany(s => s).Select(c => Alphabet.IndexOf(c)).ToArray();
        return new TokenSplit(ids[..^400], ids[^400..]);
    }

    /// <summary>The character vocabulary of <see cref="Text"/>: character i has id i.</summary>
    public static string Alphabet => new(Text.Distinct().OrderBy(c => c).ToArray());

    public static int VocabSize => Alphabet.Length;

    public static ModelConfig Model(double dropout = 0.0) => new(VocabSize, Layers: 2, Heads: 2, Embd: 32, BlockSize: 16, Dropout: dropout);

    public static TrainConfig Config => new(BatchSize: 4, MaxIters: 30, WarmupIters: 5, EvalEvery: 10, EvalIters: 2, Seed: 7);
}

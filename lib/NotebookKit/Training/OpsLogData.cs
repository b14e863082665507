using NotebookKit.Model;
using NotebookKit.Text;
using NotebookKit.Text.OpsLog;

namespace NotebookKit.Training;

/// <summary>
/// The course's operations-log corpus ready to train on: the character tokenizer, the training and
/// validation ids, and the validation text's entropy floor. Generated in memory from the corpus's
/// seeds (the same text as data/train.txt and data/validation.txt), so a notebook needs no file path
/// and gives the same ids wherever it runs.
/// </summary>
/// <param name="Tokenizer">Character tokenizer over the training and validation text (44 characters).</param>
/// <param name="Split">Training and validation token ids.</param>
/// <param name="EntropyFloor">Nats per character no model can beat on the validation text; charts draw it.</param>
public sealed record OpsLogData(CharTokenizer Tokenizer, TokenSplit Split, double EntropyFloor)
{
    static readonly Lazy<OpsLogData> Cached = new(() =>
    {
        var (train, validation) = (OpsLogCorpus.Train().Text, OpsLogCorpus.Validation().Text);
        var tokenizer = CharTokenizer.FromText(train + validation);
        return new OpsLogData(tokenizer, new TokenSplit(tokenizer.Encode(train), tokenizer.Encode(validation)), OpsLogCorpus.EntropyFloor);
    });

    /// <summary>The corpus, generated once per process and then shared (every call returns the same instance).</summary>
    public static OpsLogData Load() => Cached.Value;

    /// <summary>A model shape for this corpus: its vocabulary size with the given layers, heads, width and context.</summary>
    /// <remarks>Defaults are the course's small model (2 layers, 2 heads, width 64, 32 characters of context), which
    /// trains a few hundred steps in seconds on two cores and still learns the log's structure.</remarks>
    public ModelConfig Model(int layers = 2, int heads = 2, int embd = 64, int blockSize = 32, double dropout = 0.0) =>
        new(Tokenizer.VocabSize, layers, heads, embd, blockSize, dropout);
}

using System.Text;
using NotebookKit.Data;

namespace NotebookKit.Text.OpsLog;

/// <summary>A generated text and its information content.</summary>
/// <param name="Text">The log text, whole events only, each line ending in '\n'.</param>
/// <param name="Nats">Sum of -ln p of every choice that wrote it.</param>
/// <param name="CopiedVersionDigits">Index in <paramref name="Text"/> of every digit of a version that an ok, alert or failed
/// line repeats from its deploy line, in order. Those digits carry no information: a model that copies them pays almost
/// nothing there, one that guesses pays ln 10 each (data/README.md).</param>
public sealed record GeneratedText(string Text, double Nats, IReadOnlyList<int> CopiedVersionDigits)
{
    /// <summary>The entropy per character: the cross-entropy, in nats, an ideal model would score on this text.</summary>
    public double NatsPerChar => Nats / Text.Length;

    /// <summary>Equal when the text, its nats and the copied digits are: the list compares by its elements, not by reference.</summary>
    public bool Equals(GeneratedText? other) =>
        other is not null && Text == other.Text && Nats.Equals(other.Nats) && CopiedVersionDigits.SequenceEqual(other.CopiedVersionDigits);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Text, Nats, CopiedVersionDigits.Count);
}

/// <summary>
/// The course's corpus: an operations log of deploys, alerts, rollbacks and postmortems
/// (see data/README.md). Training and validation text come from the same grammar with different
/// seeds, so validation is new text from the same source, and the generator knows the exact
/// entropy of the validation text: the loss an ideal model would reach, which no model can beat.
/// </summary>
public static class OpsLogCorpus
{
    /// <summary>Seed of data/train.txt.</summary>
    public const long TrainSeed = 1418;

    /// <summary>Seed of data/validation.txt; different from the training seed so validation is unseen text.</summary>
    public const long ValidationSeed = 2718;

    /// <summary>Seed of data/sft.jsonl.</summary>
    public const long SftSeed = 3141;

    /// <summary>Characters of training text, about 1 MB: enough that the default model sees each line a handful of times in a 5-minute run, not enough to memorise.</summary>
    public const int TrainChars = 1_000_000;

    /// <summary>Characters of validation text, about 100 KB: a tenth of training, as the usual 90/10 split.</summary>
    public const int ValidationChars = 100_000;

    /// <summary>Number of SFT pairs in data/sft.jsonl.</summary>
    public const int SftPairs = 400;

    /// <summary>Writes whole events from <paramref name="seed"/> until the text holds at least <paramref name="minChars"/> characters.</summary>
    /// <exception cref="ArgumentException"><paramref name="minChars"/> is not positive.</exception>
    public static GeneratedText Generate(long seed, int minChars)
    {
        if (minChars <= 0) throw new ArgumentException($"corpus length {minChars} must be positive");
        var generator = new OpsLogGenerator(seed);
        while (generator.Length < minChars) generator.WriteEvent();
        return new GeneratedText(generator.Text, generator.Nats, generator.CopiedVersionDigits);
    }

    /// <summary>The training text, as in data/train.txt.</summary>
    public static GeneratedText Train() => Generate(TrainSeed, TrainChars);

    /// <summary>The validation text, as in data/validation.txt.</summary>
    public static GeneratedText Validation() => Generate(ValidationSeed, ValidationChars);

    /// <summary>The SFT pairs, as in data/sft.jsonl.</summary>
    public static IReadOnlyList<SftExample> Sft() => OpsLogSft.Generate(SftSeed, SftPairs);

    static readonly Lazy<double> Floor = new(() => Validation().NatsPerChar);

    /// <summary>
    /// Exact entropy of data/validation.txt in nats per character: the validation loss of a perfect
    /// model. A trained model's validation loss approaches it from above; charts draw it as the floor.
    /// </summary>
    /// <remarks>
    /// The floor assumes the model has seen everything a character depends on (at most 64
    /// characters back). A loss averaged over every position of 64-character windows also counts the
    /// first positions of each window, which see only a few characters and pay more; positions with a
    /// line or two of context are the ones that can reach the floor.
    /// </remarks>
    public static double EntropyFloor => Floor.Value;

    /// <summary>File names written by <see cref="WriteAll"/>, in order.</summary>
    public static readonly string[] FileNames = ["train.txt", "validation.txt", "sft.jsonl"];

    /// <summary>
    /// Writes train.txt, validation.txt and sft.jsonl into <paramref name="directory"/> (created if
    /// missing), UTF-8 without a byte-order mark and with '\n' line ends, so the bytes are the same
    /// on every machine. Returns the validation text, whose entropy is the floor.
    /// </summary>
    public static GeneratedText WriteAll(string directory)
    {
        Directory.CreateDirectory(directory);
        var utf8 = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false);
        var validation = Validation();
        File.WriteAllText(Path.Combine(directory, FileNames[0]), Train().Text, utf8);
        File.WriteAllText(Path.Combine(directory, FileNames[1]), validation.Text, utf8);
        File.WriteAllText(Path.Combine(directory, FileNames[2]), SftExample.ToJsonl(Sft()), utf8);
        return validation;
    }
}

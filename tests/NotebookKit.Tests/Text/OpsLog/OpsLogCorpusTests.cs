using NotebookKit.Text;
using NotebookKit.Text.OpsLog;

namespace NotebookKit.Tests.Text.OpsLog;

public class OpsLogCorpusTests
{
    [Fact]
    public void Same_seed_gives_the_same_text_and_another_seed_does_not()
    {
        var first = OpsLogCorpus.Generate(seed: 99, minChars: 20_000);
        var again = OpsLogCorpus.Generate(seed: 99, minChars: 20_000);
        var other = OpsLogCorpus.Generate(seed: 100, minChars: 20_000);
        Assert.Equal(first, again);
        Assert.NotEqual(first.Text, other.Text);
        Assert.True(first.Text.Length >= 20_000 && first.Text.Length < 20_400, $"length {first.Text.Length}");
    }

    [Fact]
    public void Generator_entropy_matches_an_independent_reading_of_its_text()
    {
        foreach (var seed in new long[] { 1, 2, 3 })
        {
            var generated = OpsLogCorpus.Generate(seed, minChars: 30_000);
            var score = GrammarScorer.Read(generated.Text);
            Assert.Equal(generated.Nats, score.Nats, 1e-9 * generated.Nats);
            Assert.Equal(generated.NatsPerChar, score.Nats / score.Chars, 1e-12);
        }
    }

    [Fact]
    public void The_independent_reader_rejects_a_rollback_of_the_wrong_service()
    {
        var text = OpsLogCorpus.Generate(seed: 1, minChars: 30_000).Text;
        var at = text.IndexOf(" rolled back in ", StringComparison.Ordinal);
        var lineStart = text.LastIndexOf('\n', at) + 1;
        var failedService = text[lineStart..at];
        var other = failedService == "api" ? "web" : "api";
        var tampered = text[..lineStart] + other + text[at..];
        var error = Assert.Throws<InvalidDataException>(() => GrammarScorer.Read(tampered));
        Assert.Contains($"should roll back {failedService}", error.Message);
    }

    [Fact]
    public void Committed_files_equal_a_fresh_generation()
    {
        var data = Path.Combine(Repository.Root(), "data");
        Assert.Equal(OpsLogCorpus.Train().Text, TextFile.ReadCorpus(Path.Combine(data, "train.txt")));
        Assert.Equal(OpsLogCorpus.Validation().Text, TextFile.ReadCorpus(Path.Combine(data, "validation.txt")));
        Assert.Equal(NotebookKit.Data.SftExample.ToJsonl(OpsLogCorpus.Sft()), File.ReadAllText(Path.Combine(data, "sft.jsonl")));
    }

    [Fact]
    public void Entropy_floor_of_the_validation_text_is_pinned_and_reachable_in_64_characters()
    {
        var validation = TextFile.ReadCorpus(Path.Combine(Repository.Root(), "data", "validation.txt"));
        var score = GrammarScorer.Read(validation);
        Assert.Equal(score.Nats / score.Chars, OpsLogCorpus.EntropyFloor, 1e-12);
        Assert.Equal(0.4538, OpsLogCorpus.EntropyFloor, 1e-4); // the value data/README.md states
        Assert.True(score.LongestReach <= 64, $"a character depends on one {score.LongestReach} characters back");
    }

    [Fact]
    public void Copied_version_digits_are_where_the_independent_reader_finds_a_repeated_version()
    {
        var validation = OpsLogCorpus.Validation();
        var copied = GrammarScorer.Read(validation.Text).CopiedVersionDigits;
        Assert.Equal(copied, validation.CopiedVersionDigits);
        // Three digits per ok, alert and failed line; none on a deploy line.
        var lines = validation.Text.Split('\n');
        var repeating = lines.Count(l => l.Contains(" ok p99 ", StringComparison.Ordinal) || l.Contains(", paged ", StringComparison.Ordinal) || l.Contains(" failed at ", StringComparison.Ordinal));
        Assert.Equal(3 * repeating, validation.CopiedVersionDigits.Count);
        Assert.All(validation.CopiedVersionDigits, i => Assert.True(char.IsAsciiDigit(validation.Text[i]) && validation.Text[i - 1] is 'v' or '.', $"index {i}"));
    }

    [Fact]
    public void Sft_pairs_fit_the_context_and_use_the_training_alphabet()
    {
        var train = CharTokenizer.FromText(OpsLogCorpus.Train().Text);
        var pairs = OpsLogCorpus.Sft();
        Assert.Equal(OpsLogCorpus.SftPairs, pairs.Count);
        foreach (var pair in pairs)
        {
            Assert.True(pair.Prompt.Length + pair.Response.Length <= 65, $"'{pair.Prompt}' + '{pair.Response}' is longer than 64 positions");
            train.Encode(pair.Prompt + pair.Response); // throws on a character the model never saw
        }
    }
}

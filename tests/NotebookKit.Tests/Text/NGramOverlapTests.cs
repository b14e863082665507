using NotebookKit.Text;

namespace NotebookKit.Tests.Text;

public class NGramOverlapTests
{
    const string Corpus = "Rollback started at 14:18\n";

    // Counted by hand against the corpus line above.
    [Theory]
    [InlineData("ollback", 3, 1.0)]         // oll llb lba bac ack: all in the corpus
    [InlineData("rollbaxk", 3, 0.5)]        // rol (the corpus has "Rol"), bax, axk are not; oll llb lba are: 3 of 6
    [InlineData("atzat", 2, 0.5)]           // at tz za at: repeats count, 2 of 4
    [InlineData("aaz", 1, 2.0 / 3)]
    [InlineData("zzzz", 4, 0.0)]
    public void Counts_the_fraction_of_n_grams_found_in_the_corpus(string text, int n, double expected) =>
        Assert.Equal(expected, NGramOverlap.Of(text, Corpus, n), 12);

    [Fact]
    public void Bad_lengths_say_what_to_do()
    {
        Assert.Contains("n-gram length 5 must be 1 to 4", Assert.Throws<ArgumentException>(() => NGramOverlap.Of("abcdef", Corpus, 5)).Message);
        Assert.Contains("fewer than one 3-gram", Assert.Throws<ArgumentException>(() => NGramOverlap.Of("ab", Corpus, 3)).Message);
    }
}

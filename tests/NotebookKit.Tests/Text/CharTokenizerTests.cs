using NotebookKit.Text;

namespace NotebookKit.Tests.Text;

public class CharTokenizerTests
{
    const string Sentence = "Rollback started at 14:18";

    [Fact]
    public void Vocabulary_is_the_distinct_characters_in_ordinal_order()
    {
        var tokenizer = CharTokenizer.FromText(Sentence);
        Assert.Equal(" 148:Rabcdeklorst", tokenizer.Alphabet);
        Assert.Equal(17, tokenizer.VocabSize);
        // ' ' is 0, '1' is 1, 'R' is 5: ids follow the alphabet, not first appearance.
        Assert.Equal([5, 13, 12, 12, 7, 6, 8, 11], tokenizer.Encode("Rollback"));
    }

    [Fact]
    public void Round_trip_and_ids_do_not_depend_on_text_order()
    {
        var tokenizer = CharTokenizer.FromText(Sentence);
        var shuffled = CharTokenizer.FromText(new string(Sentence.Reverse().ToArray()));
        Assert.Equal(tokenizer.Alphabet, shuffled.Alphabet);
        Assert.Equal(Sentence, tokenizer.Decode(tokenizer.Encode(Sentence)));
        var restored = CharTokenizer.FromAlphabet(tokenizer.Alphabet);
        Assert.Equal(tokenizer.Encode(Sentence), restored.Encode(Sentence));
    }

    [Fact]
    public void Unknown_character_error_names_it_and_its_position()
    {
        var tokenizer = CharTokenizer.FromText(Sentence);
        var visible = Assert.Throws<ArgumentException>(() => tokenizer.Encode("Rollback at 14:19"));
        Assert.Contains("'9' (U+0039) at position 16", visible.Message);
        var tab = Assert.Throws<ArgumentException>(() => tokenizer.Encode("at\t14"));
        Assert.Contains(@"'\t' at position 2", tab.Message);
        var nbsp = Assert.Throws<ArgumentException>(() => tokenizer.Encode("at\u00A014"));
        Assert.Contains("U+00A0 at position 2", nbsp.Message);
    }

    [Fact]
    public void Token_text_makes_invisible_characters_visible()
    {
        var tokenizer = CharTokenizer.FromText("a b\n\t\u00A0");
        string Show(char c) => tokenizer.TokenText(tokenizer.Encode(c.ToString())[0]);
        Assert.Equal("␣", Show(' '));
        Assert.Equal("↵", Show('\n'));
        Assert.Equal("⇥", Show('\t'));
        Assert.Equal("U+00A0", Show('\u00A0'));
        Assert.Equal("a", Show('a'));
    }

    [Fact]
    public void Bad_alphabets_and_ids_are_rejected()
    {
        Assert.Contains("repeats", Assert.Throws<ArgumentException>(() => CharTokenizer.FromAlphabet("abca")).Message);
        Assert.Throws<ArgumentException>(() => CharTokenizer.FromText(""));
        Assert.Throws<ArgumentOutOfRangeException>(() => CharTokenizer.FromText("ab").Decode([2]));
    }
}

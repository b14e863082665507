namespace NotebookKit.Text;

/// <summary>
/// How much a text looks like a corpus, character by character: the fraction of the text's character n-grams
/// (runs of n characters) that occur anywhere in the corpus. Random characters over a 44-character alphabet give
/// a few percent for n = 3; text that follows the corpus's words and formats gives most of them.
/// </summary>
public static class NGramOverlap
{
    /// <summary>The fraction of <paramref name="text"/>'s n-grams, counted with repeats, that occur in <paramref name="corpus"/>.</summary>
    /// <param name="text">The text to score, e.g. a model's generated sample; at least n characters.</param>
    /// <param name="corpus">The reference text, e.g. the training log.</param>
    /// <param name="n">Characters per n-gram, 1 to 4.</param>
    /// <exception cref="ArgumentException">n outside 1..4, or the text is shorter than n.</exception>
    public static double Of(string text, string corpus, int n = 3)
    {
        if (n is < 1 or > 4) throw new ArgumentException($"n-gram length {n} must be 1 to 4");
        if (text.Length < n) throw new ArgumentException($"the text has {text.Length} characters, fewer than one {n}-gram: generate at least {n}");
        var seen = Keys(corpus, n).ToHashSet();
        var keys = Keys(text, n).ToArray();
        return keys.Count(seen.Contains) / (double)keys.Length;
    }

    // Up to four UTF-16 characters packed into one 64-bit key, so a corpus of millions of characters needs no substrings.
    static IEnumerable<ulong> Keys(string s, int n)
    {
        for (var i = 0; i + n <= s.Length; i++)
        {
            ulong key = 0;
            for (var j = 0; j < n; j++) key = (key << 16) | s[i + j];
            yield return key;
        }
    }
}

using System.Globalization;
using System.Text;

namespace NotebookKit.Text;

/// <summary>
/// A character-level tokenizer: every distinct character of the corpus is one token, and its id is
/// its rank in ordinal (UTF-16 code unit) order. That order does not depend on where characters
/// first appear, so the same text always gives the same ids, and a checkpoint only has to store the
/// alphabet string to rebuild the tokenizer.
/// </summary>
public sealed class CharTokenizer
{
    readonly Dictionary<char, int> _ids;

    CharTokenizer(string alphabet)
    {
        Alphabet = alphabet;
        _ids = new Dictionary<char, int>(alphabet.Length);
        for (var i = 0; i < alphabet.Length; i++)
            if (!_ids.TryAdd(alphabet[i], i))
                throw new ArgumentException($"alphabet repeats the character {Describe(alphabet[i])} at position {i}: every character may appear once");
    }

    /// <summary>The vocabulary in id order: character <c>Alphabet[i]</c> has id <c>i</c>.</summary>
    public string Alphabet { get; }

    /// <summary>Number of distinct tokens, V.</summary>
    public int VocabSize => Alphabet.Length;

    /// <summary>Builds the vocabulary from the distinct characters of <paramref name="text"/>, sorted ordinally.</summary>
    /// <exception cref="ArgumentException">The text is empty.</exception>
    public static CharTokenizer FromText(string text)
    {
        if (string.IsNullOrEmpty(text)) throw new ArgumentException("cannot build a character vocabulary from empty text: pass the training corpus");
        var distinct = text.Distinct().Order().ToArray();
        return new CharTokenizer(new string(distinct));
    }

    /// <summary>Rebuilds a tokenizer from a saved <see cref="Alphabet"/>, for loading a checkpoint.</summary>
    /// <exception cref="ArgumentException">The alphabet is empty or repeats a character.</exception>
    public static CharTokenizer FromAlphabet(string alphabet)
    {
        if (string.IsNullOrEmpty(alphabet)) throw new ArgumentException("alphabet is empty: pass the Alphabet string saved with the model");
        return new CharTokenizer(alphabet);
    }

    /// <summary>Turns text into token ids.</summary>
    /// <exception cref="ArgumentException">A character is not in the vocabulary; the message names it and its position.</exception>
    public int[] Encode(string text)
    {
        var ids = new int[text.Length];
        for (var i = 0; i < text.Length; i++)
        {
            if (!_ids.TryGetValue(text[i], out ids[i]))
                throw new ArgumentException($"character {Describe(text[i])} at position {i} is not in the vocabulary of {VocabSize} characters: build the tokenizer from text that contains it, or remove it from the input");
        }
        return ids;
    }

    /// <summary>Turns token ids back into text.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An id is outside 0 to V - 1.</exception>
    public string Decode(IEnumerable<int> ids)
    {
        var text = new StringBuilder();
        foreach (var id in ids) text.Append(CharOf(id));
        return text.ToString();
    }

    /// <summary>
    /// The token as it should appear in a table: a space shows as "␣", a newline as "↵", a tab as
    /// "⇥", other invisible characters as their code point (U+00A0); visible characters as themselves.
    /// </summary>
    public string TokenText(int id) => CharOf(id) switch
    {
        ' ' => "␣",
        '\n' => "↵",
        '\t' => "⇥",
        '\r' => "␍",
        var c when IsInvisible(c) => $"U+{(int)c:X4}",
        var c => c.ToString(),
    };

    char CharOf(int id) => id >= 0 && id < Alphabet.Length
        ? Alphabet[id]
        : throw new ArgumentOutOfRangeException(nameof(id), id, $"token id {id} is outside the vocabulary 0..{VocabSize - 1}");

    /// <summary>A character quoted for an error message, escaped when it would be invisible.</summary>
    static string Describe(char c) => c switch
    {
        '\n' => @"'\n'",
        '\r' => @"'\r'",
        '\t' => @"'\t'",
        _ when IsInvisible(c) => $"U+{(int)c:X4}",
        _ => $"'{c}' (U+{(int)c:X4})",
    };

    static bool IsInvisible(char c) => char.GetUnicodeCategory(c) is UnicodeCategory.Control or UnicodeCategory.Format
        or UnicodeCategory.SpaceSeparator or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator
        or UnicodeCategory.Surrogate or UnicodeCategory.PrivateUse or UnicodeCategory.OtherNotAssigned;
}

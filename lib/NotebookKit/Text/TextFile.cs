using System.Text;

namespace NotebookKit.Text;

/// <summary>Reads the corpus files training and notebooks use, and splits off validation text.</summary>
public static class TextFile
{
    static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
    static readonly byte[] ByteOrderMark = [0xEF, 0xBB, 0xBF];

    /// <summary>
    /// Reads a whole text file as strict UTF-8 (a leading byte-order mark is skipped). Invalid bytes
    /// are an error rather than silently becoming U+FFFD, because a replacement character would enter
    /// the vocabulary and the model would learn to predict it.
    /// </summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is empty or is not valid UTF-8; the message gives the byte offset.</exception>
    public static string ReadCorpus(string path)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"corpus file '{path}' does not exist: pass the path of a UTF-8 text file (the course's corpus is data/train.txt; `nbk corpus` regenerates it)", path);
        var bytes = File.ReadAllBytes(path);
        var start = bytes.AsSpan().StartsWith(ByteOrderMark) ? ByteOrderMark.Length : 0;
        if (bytes.Length - start == 0)
            throw new InvalidDataException($"corpus file '{path}' is empty: a model needs text to train on; pass a file with at least one line");
        try
        {
            return StrictUtf8.GetString(bytes, start, bytes.Length - start);
        }
        catch (DecoderFallbackException e)
        {
            var offset = start + e.Index;
            var bad = e.BytesUnknown is { Length: > 0 } unknown ? string.Join(" ", unknown.Select(b => $"0x{b:X2}")) : "?";
            throw new InvalidDataException($"corpus file '{path}' is not valid UTF-8: byte {bad} at offset {offset}; re-save the file as UTF-8 (e.g. `iconv -f latin1 -t utf-8`) or remove that byte", e);
        }
    }

    /// <summary>
    /// Splits text into a training part and the last <paramref name="heldOut"/> fraction (10% by
    /// default, as nanoGPT does) for validation. The cut is at a character boundary and keeps order,
    /// so validation is text the model never saw, not a shuffled sample of it.
    /// </summary>
    /// <exception cref="ArgumentException">The fraction is not strictly between 0 and 1, or leaves one part empty.</exception>
    public static (string Train, string Validation) SplitForValidation(string text, double heldOut = 0.1)
    {
        if (!(heldOut > 0 && heldOut < 1))
            throw new ArgumentException($"held-out fraction {heldOut} must be between 0 and 1 (exclusive): 0.1 keeps the last 10% for validation");
        var cut = (int)Math.Round(text.Length * (1 - heldOut));
        if (cut == 0 || cut == text.Length)
            throw new ArgumentException($"text of {text.Length} characters is too short to hold out {heldOut:P0} for validation: use a longer text");
        if (char.IsLowSurrogate(text[cut])) cut--; // keep a surrogate pair in one part
        return (text[..cut], text[cut..]);
    }
}

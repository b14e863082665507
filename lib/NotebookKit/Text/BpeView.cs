using Microsoft.ML.Tokenizers;

namespace NotebookKit.Text;

/// <summary>One BPE token: its id in the vocabulary and the text it stands for.</summary>
/// <param name="Id">Token id in o200k_base.</param>
/// <param name="Text">The piece of the sentence this token covers (a leading space belongs to the token).</param>
public sealed record BpeToken(int Id, string Text);

/// <summary>
/// How a production tokenizer cuts a sentence: o200k_base, the byte-pair encoding of OpenAI's
/// GPT-4o family, loaded from its data package so it works offline. The course trains on characters
/// (a small vocabulary trains fast on a CPU); this view is for showing that the shift-by-one works
/// the same on real subword tokens.
/// </summary>
public static class BpeView
{
    static readonly Lazy<TiktokenTokenizer> O200k = new(() => TiktokenTokenizer.CreateForEncoding("o200k_base"));

    /// <summary>The tokens of <paramref name="text"/> in order, with their ids and text pieces.</summary>
    public static IReadOnlyList<BpeToken> Tokens(string text) =>
        O200k.Value.EncodeToTokens(text, out _).Select(t => new BpeToken(t.Id, t.Value)).ToArray();

    /// <summary>The ids of <paramref name="text"/>, as a model would read them.</summary>
    public static int[] Ids(string text) => O200k.Value.EncodeToIds(text).ToArray();

    /// <summary>Text of a list of ids; the inverse of <see cref="Ids"/>.</summary>
    public static string Decode(IEnumerable<int> ids) => O200k.Value.Decode(ids);
}

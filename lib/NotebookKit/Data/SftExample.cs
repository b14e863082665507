using System.Text.Json;

namespace NotebookKit.Data;

/// <summary>
/// One supervised fine-tuning pair: a prompt the model is given and the response it should learn
/// to write. Only the response is learned; the prompt is context.
/// </summary>
/// <param name="Prompt">The instruction, non-empty.</param>
/// <param name="Response">The answer to learn, non-empty.</param>
public sealed record SftExample(string Prompt, string Response)
{
    /// <summary>
    /// The shifted views of prompt + response with the prompt masked. Target position t predicts
    /// token t + 1, so it counts exactly when token t + 1 belongs to the response: the position
    /// whose input is the LAST prompt token predicts the first response token and counts (that is
    /// how the model learns to start answering); every earlier position predicts a prompt token
    /// and is masked. Prompt and response are encoded separately and joined, so a tokenizer cannot
    /// merge a token across the boundary.
    /// </summary>
    /// <param name="encode">The tokenizer, e.g. <c>CharTokenizer.Encode</c>.</param>
    /// <exception cref="ArgumentException">Prompt or response encodes to no tokens.</exception>
    public ShiftedView ToView(Func<string, int[]> encode)
    {
        var prompt = encode(Prompt);
        var response = encode(Response);
        if (prompt.Length == 0) throw new ArgumentException("SFT prompt is empty: the first response token needs a prompt token to be predicted from");
        if (response.Length == 0) throw new ArgumentException($"SFT response to prompt '{Prompt}' is empty: there is nothing to learn");
        var ids = prompt.Concat(response).ToArray();
        var counted = Enumerable.Range(0, ids.Length - 1).Select(t => t + 1 >= prompt.Length).ToArray();
        return new ShiftedView(ids, counted);
    }

    /// <summary>
    /// Reads pairs from a JSON Lines file, one <c>{"prompt": ..., "response": ...}</c> object per
    /// line (the format of data/sft.jsonl). Blank lines are skipped.
    /// </summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">A line is not such an object; the message names the file and line.</exception>
    public static IReadOnlyList<SftExample> ReadJsonl(string path)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"SFT file '{path}' does not exist: pass a JSON Lines file of {{\"prompt\", \"response\"}} objects (the course's is data/sft.jsonl)", path);
        var examples = new List<SftExample>();
        var lineNumber = 0;
        foreach (var line in File.ReadLines(path))
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            SftExample? example;
            try
            {
                example = JsonSerializer.Deserialize<SftExample>(line, JsonOptions);
            }
            catch (JsonException e)
            {
                throw new InvalidDataException($"{path}:{lineNumber} is not a JSON object with \"prompt\" and \"response\" strings ({e.Message}): fix or remove that line", e);
            }
            if (example is null || string.IsNullOrEmpty(example.Prompt) || string.IsNullOrEmpty(example.Response))
                throw new InvalidDataException($"{path}:{lineNumber} needs non-empty \"prompt\" and \"response\" strings: fix or remove that line");
            examples.Add(example);
        }
        if (examples.Count == 0) throw new InvalidDataException($"SFT file '{path}' holds no examples: add one {{\"prompt\", \"response\"}} object per line");
        return examples;
    }

    /// <summary>Writes pairs as JSON Lines, the inverse of <see cref="ReadJsonl"/>.</summary>
    public static string ToJsonl(IEnumerable<SftExample> examples) =>
        string.Concat(examples.Select(e => JsonSerializer.Serialize(e, JsonOptions) + "\n"));

    static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        RespectRequiredConstructorParameters = true,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };
}

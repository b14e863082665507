using System.Text.Json;
using System.Text.Json.Serialization;
using NotebookKit.Data;
using NotebookKit.Model;
using NotebookKit.Training;

namespace NotebookKit.Checkpoints;

/// <summary>One file of a checkpoint, as the manifest lists it.</summary>
/// <param name="File">File name inside the checkpoint directory, e.g. "model.bin".</param>
/// <param name="What">What the file holds, in words a learner can read, e.g. "AdamW moments (m, v) and step counts".</param>
/// <param name="Bytes">Its size when written; a different size on load means the file was truncated or replaced.</param>
/// <param name="Sha256">SHA-256 of its bytes, lowercase hex.</param>
public sealed record CheckpointFile(string File, string What, long Bytes, string Sha256);

/// <summary>One tensor of the saved weights: how load checks the architecture before reading any weight.</summary>
/// <param name="Name">The state-dict name, e.g. "h.0.attn.c_attn.weight".</param>
/// <param name="Shape">Its shape, e.g. [384, 128].</param>
/// <param name="DType">Its element type, e.g. "Float32" (bf16 training stores "BFloat16").</param>
public sealed record TensorEntry(string Name, long[] Shape, [property: JsonPropertyName("dtype")] string DType)
{
    /// <summary>Shape and type as "[384, 128] Float32", for error messages.</summary>
    public string Describe() => $"[{string.Join(", ", Shape)}] {DType}";
}

/// <summary>
/// Everything about a checkpoint except the tensors: the configs it was trained with, where the run
/// stood (counters, schedule, loss scale, every sampler), the vocabulary, and the checksum and size of
/// every other file. Stored as manifest.json; its own SHA-256 is in manifest.sha256.
/// </summary>
/// <param name="FormatVersion">Layout of the checkpoint; load refuses any other than <see cref="Checkpoint.FormatVersion"/>.</param>
/// <param name="SavedAtUtc">When it was written (information only; nothing depends on it).</param>
/// <param name="RunName">The run's name in charts and logs.</param>
/// <param name="EntropyFloor">The data's entropy floor in nats per token, when the run knew it.</param>
/// <param name="Device">The device it was trained on, e.g. "cpu".</param>
/// <param name="Model">The model's shape.</param>
/// <param name="Train">How the run trained.</param>
/// <param name="Vocabulary">The character tokenizer's alphabet: character i has id i.</param>
/// <param name="Step">Loop steps taken (skipped steps included).</param>
/// <param name="OptimizerSteps">Optimizer updates made.</param>
/// <param name="SchedulerPosition">Where the learning-rate schedule stands.</param>
/// <param name="TokensSeen">Tokens processed so far.</param>
/// <param name="LossScale">fp16 loss scale (1 in other modes).</param>
/// <param name="GoodSteps">Clean fp16 steps since the loss scale last changed.</param>
/// <param name="Samplers">Every rank's sampler state: the data position.</param>
/// <param name="Tensors">Name, shape and type of every saved weight, in state-dict order.</param>
/// <param name="Files">Every other file of the checkpoint with its size and SHA-256.</param>
public sealed record CheckpointManifest(
    int FormatVersion,
    DateTimeOffset SavedAtUtc,
    string RunName,
    double? EntropyFloor,
    string Device,
    ModelConfig Model,
    TrainConfig Train,
    string Vocabulary,
    int Step,
    int OptimizerSteps,
    long SchedulerPosition,
    long TokensSeen,
    double LossScale,
    int GoodSteps,
    IReadOnlyList<SamplerState> Samplers,
    IReadOnlyList<TensorEntry> Tensors,
    IReadOnlyList<CheckpointFile> Files)
{
    static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        Converters = { new JsonStringEnumConverter() },
    };

    /// <summary>The manifest as indented JSON.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <summary>Reads a manifest from JSON text.</summary>
    /// <exception cref="InvalidDataException">The text is not a manifest; the message names <paramref name="source"/>.</exception>
    public static CheckpointManifest FromJson(string json, string source)
    {
        try
        {
            return JsonSerializer.Deserialize<CheckpointManifest>(json, Json)
                   ?? throw new InvalidDataException($"checkpoint manifest '{source}' is empty: the checkpoint is damaged; resume from an older one");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"checkpoint manifest '{source}' is not valid JSON ({e.Message}): the checkpoint is damaged; resume from an older one", e);
        }
    }
}

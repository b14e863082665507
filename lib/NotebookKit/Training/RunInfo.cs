using System.Text.Json;
using NotebookKit.Model;
using NotebookKit.Precision;

namespace NotebookKit.Training;

/// <summary>
/// What a run was configured to do, as far as reading its timeline needs: the doctor compares what the
/// timeline shows with what these settings promise. It says nothing about which fault (if any) was switched
/// on; finding that out is the doctor's job. <c>nbk train --timeline run.csv</c> writes it beside the CSV as
/// <c>run.run.json</c> (see <see cref="SidecarPath"/>).
/// </summary>
/// <param name="WarmupIters">Optimizer steps of linear warmup the schedule was given.</param>
/// <param name="LearningRate">Peak learning rate of the schedule.</param>
/// <param name="Accumulation">Microbatches per optimizer step (per rank).</param>
/// <param name="Ranks">Simulated data-parallel ranks.</param>
/// <param name="ClipNorm">Gradient-norm clip threshold; 0 when clipping is off.</param>
/// <param name="Precision">Number format of training.</param>
/// <param name="Dropout">Dropout probability of the model; with 0, evaluation in training mode leaves no trace.</param>
/// <param name="SftData">Whether the run trained on prompt/response pairs (the validation loss then counts response tokens only).</param>
public sealed record RunInfo(
    int WarmupIters,
    double LearningRate,
    int Accumulation = 1,
    int Ranks = 1,
    double ClipNorm = 1.0,
    PrecisionMode Precision = PrecisionMode.Fp32,
    double Dropout = 0.0,
    bool SftData = false)
{
    /// <summary>The run information of a trainer built from these settings.</summary>
    public static RunInfo From(ModelConfig model, TrainConfig config, bool sftData) =>
        new(config.WarmupIters, config.LearningRate, config.Accumulation, config.Ranks, config.ClipNorm, config.Precision, model.Dropout, sftData);

    /// <summary>Where the run information of a timeline CSV lives: the same name with <c>.run.json</c> (<c>out/run.csv</c> gives <c>out/run.run.json</c>).</summary>
    public static string SidecarPath(string timelineCsv) => Path.ChangeExtension(timelineCsv, ".run.json");

    /// <summary>Writes the settings as indented JSON, atomically: to a temporary file beside <paramref name="path"/>, then renamed over it.</summary>
    public void Save(string path)
    {
        var temp = $"{Path.GetFullPath(path)}.{Environment.ProcessId}.tmp";
        try
        {
            File.WriteAllText(temp, JsonSerializer.Serialize(this, Json) + "\n");
            File.Move(temp, path, overwrite: true);
        }
        finally
        {
            File.Delete(temp);
        }
    }

    /// <summary>Reads settings written by <see cref="Save"/>.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not such JSON, lacks the warmup or the learning rate, or holds a value
    /// no run can have (a learning rate of 0, no ranks); the message names the file and the field.</exception>
    public static RunInfo Load(string path)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"run information '{path}' does not exist: nbk train --timeline writes it beside the CSV, or pass --run-info FILE", path);
        RunInfo info;
        try
        {
            info = JsonSerializer.Deserialize<RunInfo>(File.ReadAllText(path), Json)
                   ?? throw new InvalidDataException($"run information '{path}' is empty: write it again with nbk train --timeline");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"run information '{path}' is not valid ({e.Message}): write it again with nbk train --timeline", e);
        }
        var bad = new (bool Bad, string Field, object Value)[]
        {
            (info.WarmupIters < 0, "warmupIters", info.WarmupIters),
            (!(info.LearningRate > 0), "learningRate", info.LearningRate),
            (info.Accumulation < 1, "accumulation", info.Accumulation),
            (info.Ranks < 1, "ranks", info.Ranks),
            (info.ClipNorm < 0, "clipNorm", info.ClipNorm),
            (info.Dropout is < 0 or >= 1, "dropout", info.Dropout),
        }.FirstOrDefault(f => f.Bad);
        if (bad.Bad)
            throw new InvalidDataException($"run information '{path}' has {bad.Field} {bad.Value}, which no run has: write it again with nbk train --timeline");
        return info;
    }

    static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        // warmupIters and learningRate have no default: a file without them ("{}") is refused, not read as zeros.
        RespectRequiredConstructorParameters = true,
        Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() },
    };
}

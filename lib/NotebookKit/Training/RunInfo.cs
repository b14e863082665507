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

    /// <summary>Writes the settings as indented JSON.</summary>
    public void Save(string path) => File.WriteAllText(path, JsonSerializer.Serialize(this, Json) + "\n");

    /// <summary>Reads settings written by <see cref="Save"/>.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not such JSON; the message names the file.</exception>
    public static RunInfo Load(string path)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"run information '{path}' does not exist: nbk train --timeline writes it beside the CSV, or pass --run-info FILE", path);
        try
        {
            return JsonSerializer.Deserialize<RunInfo>(File.ReadAllText(path), Json)
                   ?? throw new InvalidDataException($"run information '{path}' is empty: write it again with nbk train --timeline");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"run information '{path}' is not valid ({e.Message}): write it again with nbk train --timeline", e);
        }
    }

    static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() },
    };
}

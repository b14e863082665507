using System.Globalization;
using System.Text;

namespace NotebookKit.Telemetry;

/// <summary>
/// The timeline of one training run: a record per optimizer step plus what a reader needs to
/// interpret it (the clip threshold, the corpus's entropy floor).
/// </summary>
public sealed class RunLog
{
    /// <summary>The columns every timeline CSV starts with, in this order.</summary>
    public const string CsvHeader = "step,tokens,loss,val_loss,lr,grad_norm,clipped,tokens_per_s,mfu,skipped,optimizer_step,grad_norm_at_step,loss_scale,"
                                    + "token_mean_loss,val_loss_repeat,rank_overlap,batch_fingerprint,stale_grad_norm";

    readonly List<StepRecord> _steps = [];

    /// <summary>Creates an empty log.</summary>
    /// <param name="name">Shown in legends, e.g. "correct" or "zero_grad before step".</param>
    /// <param name="clipNorm">Gradient-norm clip threshold, drawn as a line on the grad-norm panel; null when clipping is off.</param>
    /// <param name="entropyFloor">Nats per token no model can beat on this data, drawn on the loss panel; null when unknown.</param>
    public RunLog(string name, double? clipNorm = null, double? entropyFloor = null)
    {
        Name = name;
        ClipNorm = clipNorm;
        EntropyFloor = entropyFloor;
    }

    /// <summary>The run's name in legends and reports.</summary>
    public string Name { get; }

    /// <summary>Gradient-norm clip threshold, or null when the run did not clip.</summary>
    public double? ClipNorm { get; }

    /// <summary>The data's entropy floor in nats per token, or null when unknown.</summary>
    public double? EntropyFloor { get; }

    /// <summary>Every recorded step, oldest first.</summary>
    public IReadOnlyList<StepRecord> Steps => _steps;

    /// <summary>Appends one step.</summary>
    public void Add(StepRecord record) => _steps.Add(record);

    /// <summary>The last record with a validation loss, or null when none was evaluated.</summary>
    public double? LastValLoss => _steps.LastOrDefault(s => s.ValLoss is not null)?.ValLoss;

    /// <summary>
    /// Writes the log as CSV; losses and norms use round-trip precision so a reread log is identical. The text goes to a
    /// temporary file beside <paramref name="path"/>, reaches the disk, and is then renamed over it: a reader sees the old
    /// file or the new one, never half of one. (<see cref="TimelineCsvWriter"/> writes a timeline as a run goes.)
    /// </summary>
    public void WriteCsv(string path)
    {
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var temp = $"{full}.{Environment.ProcessId}.tmp";
        try
        {
            using (var file = new FileStream(temp, FileMode.Create, FileAccess.Write))
            {
                var bytes = Encoding.UTF8.GetBytes(ToCsv());
                file.Write(bytes);
                file.Flush(flushToDisk: true);
            }
            File.Move(temp, full, overwrite: true);
        }
        finally
        {
            File.Delete(temp);
        }
    }

    /// <summary>The log as CSV text, header first.</summary>
    public string ToCsv()
    {
        var text = new StringBuilder(CsvHeader).Append('\n');
        foreach (var s in _steps) text.Append(CsvRow(s)).Append('\n');
        return text.ToString();
    }

    /// <summary>One step as a CSV row (no line break), in the columns of <see cref="CsvHeader"/>.</summary>
    internal static string CsvRow(StepRecord s) => string.Join(',', s.Step, s.Tokens, R(s.Loss), s.ValLoss is { } v ? R(v) : "", R(s.LearningRate), R(s.GradNorm),
        s.Clipped ? 1 : 0, R(s.TokensPerSecond), R(s.Mfu), s.Skipped ? 1 : 0, s.OptimizerStep, R(s.GradNormAtStep), R(s.LossScale),
        Optional(s.TokenMeanLoss), Optional(s.ValLossRepeat), Optional(s.RankOverlap), s.BatchFingerprint ?? "", Optional(s.StaleGradNorm));

    /// <summary>Reads a timeline CSV written by <see cref="WriteCsv"/> (or by <c>nbk train --timeline</c>).</summary>
    /// <exception cref="FormatException">The header or a row is not what NotebookKit writes; the message names the file and line.</exception>
    public static RunLog ReadCsv(string path, double? clipNorm = null, double? entropyFloor = null)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"timeline file '{path}' does not exist: pass the CSV written by nbk train --timeline", path);
        var lines = File.ReadAllLines(path);
        var required = CsvHeader.Split(',')[..10];
        if (lines.Length == 0 || !lines[0].Split(',').Take(10).SequenceEqual(required))
            throw new FormatException($"{path}:1: header is '{lines.FirstOrDefault()}', expected it to start with '{string.Join(',', required)}'");
        var log = new RunLog(Path.GetFileNameWithoutExtension(path), clipNorm, entropyFloor);
        for (var i = 1; i < lines.Length; i++)
        {
            if (lines[i].Length == 0) continue;
            var f = lines[i].Split(',');
            try
            {
                var step = int.Parse(f[0], CultureInfo.InvariantCulture);
                log.Add(new StepRecord(step, long.Parse(f[1], CultureInfo.InvariantCulture), D(f[2]), f[3].Length == 0 ? null : D(f[3]),
                    D(f[4]), D(f[5]), f[6] == "1", D(f[7]), D(f[8]), f[9] == "1",
                    f.Length > 10 ? int.Parse(f[10], CultureInfo.InvariantCulture) : step,
                    f.Length > 11 ? D(f[11]) : D(f[5]),
                    f.Length > 12 ? D(f[12]) : 1.0,
                    OptionalAt(f, 13), OptionalAt(f, 14), OptionalAt(f, 15),
                    f.Length > 16 && f[16].Length > 0 ? f[16] : null,
                    OptionalAt(f, 17)));
            }
            catch (Exception e) when (e is FormatException or IndexOutOfRangeException or OverflowException)
            {
                throw new FormatException($"{path}:{i + 1}: cannot read '{lines[i]}' as a timeline row ({e.Message})", e);
            }
        }
        return log;
    }

    static string R(double value) => value.ToString("R", CultureInfo.InvariantCulture);
    static string Optional(double? value) => value is { } v ? R(v) : "";
    static double? OptionalAt(string[] fields, int index) => fields.Length > index && fields[index].Length > 0 ? D(fields[index]) : null;
    static double D(string text) => double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture);
}

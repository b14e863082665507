using System.Globalization;
using System.Text.RegularExpressions;

namespace NotebookKit.Checkpoints;

/// <summary>
/// Saves what a run needs to continue exactly, and continues it. A checkpoint is a directory named
/// <c>step-NNNNNNNN</c> inside a run's checkpoint directory:
/// <list type="bullet">
/// <item><c>model.bin</c>: the weights the optimizer steps (float32 masters in mixed precision; the tied output head is the token embedding, stored once);</item>
/// <item><c>optimizer.bin</c>: AdamW's moments and step counts;</item>
/// <item><c>rng-cpu.bin</c>: torch's CPU generator, which dropout draws from;</item>
/// <item><c>telemetry.csv</c>: the timeline so far;</item>
/// <item><c>manifest.json</c>: format version, configs, counters, schedule position, loss scale, every sampler's position,
/// the vocabulary, every tensor's name and shape, and every file's size and SHA-256;</item>
/// <item><c>manifest.sha256</c>: the manifest's own SHA-256, in <c>sha256sum</c> format.</item>
/// </list>
/// Saving is atomic (write to a hidden temporary directory, flush, rename); loading checks everything
/// before it changes anything.
/// </summary>
/// <remarks>
/// TorchSharp 0.107 exposes torch's CPU generator but not the CUDA one, so on a GPU dropout masks after a
/// resume differ from the uninterrupted run's; everything else (weights, optimizer, schedule, data) still
/// continues exactly. On CPU the resume is exact bit for bit.
/// </remarks>
public static partial class Checkpoint
{
    /// <summary>The layout this version writes and reads; bumped whenever a file or manifest field changes meaning.</summary>
    public const int FormatVersion = 1;

    /// <summary>The weights file.</summary>
    public const string ModelFile = "model.bin";
    /// <summary>The optimizer-state file.</summary>
    public const string OptimizerFile = "optimizer.bin";
    /// <summary>The CPU random-generator state file.</summary>
    public const string RngFile = "rng-cpu.bin";
    /// <summary>The timeline file.</summary>
    public const string TelemetryFile = "telemetry.csv";
    /// <summary>The manifest file.</summary>
    public const string ManifestFile = "manifest.json";
    /// <summary>The file holding the manifest's SHA-256.</summary>
    public const string ManifestHashFile = "manifest.sha256";

    const string ManifestWhat = "configs, counters, schedule position, loss scale, sampler positions, vocabulary, tensor list, checksums";
    const string ManifestHashWhat = "SHA-256 of the manifest";
    const string TempPrefix = ".tmp-";
    const string TrashPrefix = ".trash-";
    static readonly Regex StepName = new(@"^step-(\d+)$", RegexOptions.CultureInvariant);

    /// <summary>The directory name of the checkpoint taken after loop step <paramref name="step"/>, e.g. "step-00000120".</summary>
    public static string NameFor(int step) => $"step-{step.ToString("D8", CultureInfo.InvariantCulture)}";

    /// <summary>
    /// The complete checkpoints in <paramref name="directory"/>, oldest first. Only fully written checkpoints carry a
    /// step-NNNNNNNN name (a save renames its temporary directory as its last act), so a save interrupted
    /// at any point never appears here. Empty when the directory does not exist.
    /// </summary>
    public static IReadOnlyList<string> List(string directory)
    {
        if (!Directory.Exists(directory)) return [];
        return Directory.GetDirectories(directory)
            .Select(path => (path, match: StepName.Match(Path.GetFileName(path))))
            .Where(d => d.match.Success)
            .OrderBy(d => long.Parse(d.match.Groups[1].Value, CultureInfo.InvariantCulture))
            .Select(d => d.path)
            .ToArray();
    }

    /// <summary>The newest complete checkpoint in <paramref name="directory"/>, or null when there is none.</summary>
    public static string? Latest(string directory) => List(directory) is [.., var last] ? last : null;

    /// <summary>
    /// Every file of a checkpoint with what it holds, its size and SHA-256: the manifest's file table, then the
    /// manifest and its hash file. Read after <see cref="Read"/> has checked every checksum.
    /// </summary>
    public static IReadOnlyList<CheckpointFile> Files(string checkpoint)
    {
        var manifest = Read(checkpoint);
        return manifest.Files
            .Concat(new[] { (ManifestFile, ManifestWhat), (ManifestHashFile, ManifestHashWhat) }.Select(f =>
            {
                var path = Path.Combine(checkpoint, f.Item1);
                return new CheckpointFile(f.Item1, f.Item2, new FileInfo(path).Length, Sha256Of(path));
            }))
            .ToArray();
    }
}

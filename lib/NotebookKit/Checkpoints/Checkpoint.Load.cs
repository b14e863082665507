using NotebookKit.Model;
using NotebookKit.Telemetry;
using NotebookKit.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace NotebookKit.Checkpoints;

public static partial class Checkpoint
{
    /// <summary>
    /// Reads a checkpoint's manifest after checking the checkpoint is whole: the manifest against manifest.sha256,
    /// the format version, and every file's presence, size and SHA-256.
    /// </summary>
    /// <param name="checkpoint">A step-NNNNNNNN directory (see <see cref="Latest"/>).</param>
    /// <exception cref="DirectoryNotFoundException">The directory does not exist.</exception>
    /// <exception cref="InvalidDataException">A file is missing, truncated, changed or of another format version; the
    /// message names the file and what differs.</exception>
    public static CheckpointManifest Read(string checkpoint)
    {
        if (!Directory.Exists(checkpoint))
            throw new DirectoryNotFoundException($"checkpoint directory '{checkpoint}' does not exist: pass a step-NNNNNNNN folder inside the run's checkpoint directory");
        var manifestPath = Path.Combine(checkpoint, ManifestFile);
        var hashPath = Path.Combine(checkpoint, ManifestHashFile);
        foreach (var path in new[] { manifestPath, hashPath })
            if (!File.Exists(path))
                throw new InvalidDataException($"checkpoint file '{path}' is missing: '{checkpoint}' is not a complete checkpoint; resume from an older one");

        var recorded = File.ReadAllText(hashPath).Split(' ', 2)[0].Trim();
        var actual = Sha256Of(manifestPath);
        if (recorded != actual)
            throw new InvalidDataException($"checkpoint file '{manifestPath}' has SHA-256 {actual}, but {ManifestHashFile} records {recorded}: the manifest was changed or damaged after it was saved; resume from an older checkpoint");

        var manifest = CheckpointManifest.FromJson(File.ReadAllText(manifestPath), manifestPath);
        if (manifest.FormatVersion != FormatVersion)
            throw new InvalidDataException($"checkpoint '{checkpoint}' has format version {manifest.FormatVersion}, this NotebookKit reads version {FormatVersion}: resume it with the NotebookKit version that wrote it");

        foreach (var file in manifest.Files)
        {
            var path = Path.Combine(checkpoint, file.File);
            if (!File.Exists(path))
                throw new InvalidDataException($"checkpoint file '{path}' is missing ({file.What}): the checkpoint is incomplete; resume from an older one");
            var bytes = new FileInfo(path).Length;
            if (bytes != file.Bytes)
                throw new InvalidDataException($"checkpoint file '{path}' is {bytes:N0} bytes, the manifest records {file.Bytes:N0}: the file is {(bytes < file.Bytes ? "truncated" : "longer than written")}; resume from an older checkpoint");
            var sha = Sha256Of(path);
            if (sha != file.Sha256)
                throw new InvalidDataException($"checkpoint file '{path}' has SHA-256 {sha}, the manifest records {file.Sha256}: its bytes changed after it was saved; resume from an older checkpoint");
        }
        return manifest;
    }

    /// <summary>
    /// Continues a run from a checkpoint: builds a <see cref="Trainer"/> from the configs in the manifest, then
    /// <see cref="Restore"/>s it. With <see cref="ResumeOptions.Exact"/> the following steps equal those of the run
    /// that never stopped, bit for bit (on CPU).
    /// </summary>
    /// <param name="checkpoint">A step-NNNNNNNN directory.</param>
    /// <param name="data">The same token ids the run trained on, made with the manifest's <see cref="CheckpointManifest.Vocabulary"/>.</param>
    /// <param name="options">What to restore; null restores everything (<see cref="ResumeOptions.Exact"/>).</param>
    /// <param name="device">Where to continue; null picks CUDA when available, else CPU.</param>
    /// <param name="maxIters">A new end for the run; null keeps the saved one. The schedule's decay follows
    /// <see cref="TrainConfig.LrDecayIters"/>, or the end of the run when that is unset, so moving the end reshapes it.</param>
    public static Trainer Resume(string checkpoint, TokenSplit data, ResumeOptions? options = null, Device? device = null, int? maxIters = null)
    {
        var manifest = Read(checkpoint);
        var config = maxIters is { } end ? manifest.Train with { MaxIters = end } : manifest.Train;
        var trainer = new Trainer(manifest.Model, config, data, device, manifest.RunName, manifest.EntropyFloor);
        try
        {
            Restore(trainer, checkpoint, manifest.Vocabulary, options);
            return trainer;
        }
        catch
        {
            trainer.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Loads a checkpoint into a freshly built <paramref name="trainer"/>: weights, then (per <paramref name="options"/>)
    /// optimizer state, step counters and schedule position, loss scale, sampler positions, telemetry and the RNG state.
    /// Everything is checked first (<see cref="Read"/>, the vocabulary, every tensor's name, shape and type), so a
    /// mismatch changes nothing; no random number is drawn.
    /// </summary>
    /// <param name="trainer">A trainer that has not stepped yet, built with the checkpoint's model shape.</param>
    /// <param name="checkpoint">A step-NNNNNNNN directory.</param>
    /// <param name="vocabulary">The alphabet of the tokenizer that made the trainer's data; must equal the saved one.</param>
    /// <param name="options">What to restore; null restores everything (<see cref="ResumeOptions.Exact"/>).</param>
    /// <exception cref="InvalidDataException">The checkpoint is damaged, or holds another architecture or vocabulary.</exception>
    /// <returns>The checkpoint's manifest, e.g. to compare its <see cref="CheckpointManifest.Train"/> with the trainer's.</returns>
    /// <exception cref="ArgumentException">The trainer has already stepped, or has another number of ranks.</exception>
    public static CheckpointManifest Restore(Trainer trainer, string checkpoint, string vocabulary, ResumeOptions? options = null)
    {
        options ??= ResumeOptions.Exact;
        var manifest = Read(checkpoint);
        if (trainer.StepCount != 0 || trainer.Log.Steps.Count != 0)
            throw new ArgumentException($"the trainer has already taken {trainer.StepCount} steps: restore '{checkpoint}' into a freshly built Trainer");
        if (vocabulary != manifest.Vocabulary)
            throw new InvalidDataException($"checkpoint '{checkpoint}' was trained on a vocabulary of {manifest.Vocabulary.Length} characters that differs from this one ({vocabulary.Length} characters{FirstDifference(manifest.Vocabulary, vocabulary)}): tokenize the text with the checkpoint's vocabulary");
        CheckArchitecture(manifest, trainer, checkpoint);
        if (options.DataPosition && manifest.Samplers.Count != trainer.Samplers.Count)
            throw new ArgumentException($"checkpoint '{checkpoint}' was saved by {manifest.Samplers.Count} ranks, this trainer has {trainer.Samplers.Count}: resume with --ranks {manifest.Samplers.Count}");

        // Read every input before changing anything.
        var log = RunLog.ReadCsv(Path.Combine(checkpoint, TelemetryFile));
        var rng = File.ReadAllBytes(Path.Combine(checkpoint, RngFile));

        // Weights in place (the optimizer and the precision plan hold these same tensors), then optimizer state.
        using (no_grad()) trainer.Model.load(Path.Combine(checkpoint, ModelFile), strict: true);
        if (options.OptimizerState) trainer.Optimizer.load_state_dict(Path.Combine(checkpoint, OptimizerFile));

        // Counters, schedule and loss scale.
        trainer.StepCount = manifest.Step;
        trainer.OptimizerSteps = manifest.OptimizerSteps;
        trainer.TokensSeen = manifest.TokensSeen;
        trainer.SchedulerPosition = options.SchedulerPosition ? manifest.SchedulerPosition : 0;
        trainer.Precision.Restore(manifest.LossScale, manifest.GoodSteps);

        // Data position, timeline, and last the generator, so nothing after it draws.
        if (options.DataPosition)
            for (var rank = 0; rank < trainer.Samplers.Count; rank++) trainer.Samplers[rank].Restore(manifest.Samplers[rank]);
        foreach (var step in log.Steps) trainer.Log.Add(step);
        if (options.RngState)
        {
            using var state = tensor(rng, dtype: ScalarType.Byte);
            set_rng_state(state);
        }
        return manifest;
    }

    /// <summary>Checks that the saved tensors are exactly the model's: same names, shapes and types.</summary>
    static void CheckArchitecture(CheckpointManifest manifest, Trainer trainer, string checkpoint)
    {
        var saved = manifest.Tensors.ToDictionary(t => t.Name);
        var current = TensorsOf(trainer.Model).ToDictionary(t => t.Name);
        var differences = saved.Values.Where(t => current.TryGetValue(t.Name, out var c) && c.Describe() != t.Describe())
            .Select(t => $"{t.Name} is {t.Describe()} in the checkpoint but {current[t.Name].Describe()} in this model")
            .Concat(saved.Values.Where(t => !current.ContainsKey(t.Name)).Select(t => $"{t.Name} {t.Describe()} is in the checkpoint but not in this model"))
            .Concat(current.Values.Where(t => !saved.ContainsKey(t.Name)).Select(t => $"{t.Name} {t.Describe()} is in this model but not in the checkpoint"))
            .ToArray();
        if (differences.Length == 0) return;
        var shown = string.Join("; ", differences.Take(4)) + (differences.Length > 4 ? $"; and {differences.Length - 4} more" : "");
        throw new InvalidDataException(
            $"checkpoint '{checkpoint}' holds another architecture ({Describe(manifest.Model)}) than this model ({Describe(trainer.ModelConfig)}): {shown}. " +
            "Build the model with the checkpoint's settings, or start a new run in another checkpoint directory");
    }

    static string Describe(ModelConfig m) => $"{m.Layers} layers, {m.Heads} heads, {m.Embd} wide, block {m.BlockSize}, vocabulary {m.VocabSize}";

    static string FirstDifference(string saved, string current)
    {
        var i = 0;
        while (i < saved.Length && i < current.Length && saved[i] == current[i]) i++;
        return i < Math.Min(saved.Length, current.Length) ? $"; first difference at id {i}: U+{(int)saved[i]:X4} saved, U+{(int)current[i]:X4} now" : "";
    }
}

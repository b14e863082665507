using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using NotebookKit.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace NotebookKit.Checkpoints;

public static partial class Checkpoint
{
    /// <summary>
    /// Test hook: "STEP:FILE" makes the process SIGKILL itself right after writing FILE of the checkpoint for
    /// STEP (e.g. "20:optimizer.bin"), so tests can kill a save half-way at a chosen point; "STEP:saved" kills it
    /// right after that checkpoint became complete. "STEP:FILE:SIGTERM" (or SIGINT) sends that signal instead, which
    /// a program may handle, and the save goes on. Unset in normal use.
    /// </summary>
    public const string KillDuringSaveVariable = "NBK_TEST_KILL_DURING_CHECKPOINT";

    /// <summary>
    /// Saves <paramref name="trainer"/>'s state as a new checkpoint in <paramref name="directory"/>, then removes
    /// all but the newest <paramref name="keep"/>. Reads state only: no tensor changes and no random number is drawn,
    /// so a run that saves continues exactly as one that does not.
    /// </summary>
    /// <param name="trainer">The run, between steps.</param>
    /// <param name="directory">The run's checkpoint directory (created when missing); the checkpoint is a step-NNNNNNNN folder inside.</param>
    /// <param name="vocabulary">The character tokenizer's alphabet (the Trainer only sees ids); stored so a resume rebuilds the same tokenizer.</param>
    /// <param name="keep">How many checkpoints to keep, newest first. 3: a damaged newest one still leaves two to fall back to.</param>
    /// <returns>The path of the new checkpoint.</returns>
    /// <exception cref="ArgumentException"><paramref name="keep"/> is below 1, the vocabulary does not match the model,
    /// or a checkpoint of this step already exists (it is never overwritten).</exception>
    /// <remarks>
    /// The files go to a hidden temporary directory, each is flushed to disk, then the directory is renamed to its
    /// step-NNNNNNNN name: a reader sees a whole checkpoint or none. Older checkpoints are removed only after that.
    /// </remarks>
    public static string Save(Trainer trainer, string directory, string vocabulary, int keep = 3)
    {
        if (keep < 1) throw new ArgumentException($"keep {keep} must be at least 1: it is how many checkpoints stay on disk (default 3)");
        if (vocabulary.Length != trainer.ModelConfig.VocabSize)
            throw new ArgumentException($"vocabulary of {vocabulary.Length} characters does not match the model's vocabulary size {trainer.ModelConfig.VocabSize}: pass the alphabet of the tokenizer that made the training ids");
        var name = NameFor(trainer.StepCount);
        var final = Path.Combine(directory, name);
        if (Directory.Exists(final))
            throw new ArgumentException($"checkpoint '{final}' already exists and is never overwritten: resume from it, or save to another checkpoint directory");

        Directory.CreateDirectory(directory);
        RemoveLeftovers(directory);
        var temp = Path.Combine(directory, $"{TempPrefix}{name}-{Environment.ProcessId}");
        Directory.CreateDirectory(temp);

        var files = new List<CheckpointFile>
        {
            Write(temp, ModelFile, $"weights, {trainer.Model.parameters().First().dtype} (the output head is the token embedding, stored once)",
                path => trainer.Model.save(path)),
            Write(temp, OptimizerFile, "AdamW state: moments m and v and the step count of every weight",
                path => trainer.Optimizer.save_state_dict(path)),
            Write(temp, RngFile, "torch CPU generator state (dropout masks)", path =>
            {
                using var state = get_rng_state();
                File.WriteAllBytes(path, state.data<byte>().ToArray());
            }),
            Write(temp, TelemetryFile, "timeline so far: one row per step", path => File.WriteAllText(path, trainer.Log.ToCsv())),
        };
        var manifest = new CheckpointManifest(
            FormatVersion, DateTimeOffset.UtcNow, trainer.Log.Name, trainer.Log.EntropyFloor, trainer.Model.parameters().First().device.ToString(),
            trainer.ModelConfig, trainer.Config, vocabulary,
            trainer.StepCount, trainer.OptimizerSteps, trainer.SchedulerPosition, trainer.TokensSeen,
            trainer.Precision.LossScale, trainer.Precision.GoodSteps,
            trainer.Samplers.Select(s => s.State).ToArray(),
            TensorsOf(trainer.Model),
            files);
        Write(temp, ManifestFile, ManifestWhat, path => File.WriteAllText(path, manifest.ToJson()));
        Write(temp, ManifestHashFile, ManifestHashWhat, path => File.WriteAllText(path, $"{Sha256Of(Path.Combine(temp, ManifestFile))}  {ManifestFile}\n"));

        Directory.Move(temp, final);
        SyncDirectory(directory);
        KillIfAsked(trainer.StepCount, "saved");
        Prune(directory, keep);
        return final;

        CheckpointFile Write(string folder, string file, string what, Action<string> write)
        {
            var path = Path.Combine(folder, file);
            write(path);
            using (var stream = new FileStream(path, FileMode.Open, FileAccess.ReadWrite)) stream.Flush(flushToDisk: true);
            KillIfAsked(trainer.StepCount, file);
            return new CheckpointFile(file, what, new FileInfo(path).Length, Sha256Of(path));
        }
    }

    /// <summary>Name, shape and type of every tensor in the model's state dict, in order.</summary>
    static TensorEntry[] TensorsOf(nn.Module model) =>
        model.state_dict().Select(p => new TensorEntry(p.Key, p.Value.shape, p.Value.dtype.ToString())).ToArray();

    /// <summary>SHA-256 of a file, lowercase hex.</summary>
    static string Sha256Of(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    /// <summary>
    /// Deletes what interrupted saves and prunes left behind: hidden temporary and trash directories, each named with the
    /// process id of its writer. Only this process's own and those whose writer is no longer running are removed, so a
    /// save in progress in another process is never touched.
    /// </summary>
    static void RemoveLeftovers(string directory)
    {
        foreach (var dir in Directory.GetDirectories(directory))
        {
            var name = Path.GetFileName(dir);
            if (!name.StartsWith(TempPrefix, StringComparison.Ordinal) && !name.StartsWith(TrashPrefix, StringComparison.Ordinal)) continue;
            var owner = int.TryParse(name[(name.LastIndexOf('-') + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var pid) ? pid : (int?)null;
            if (owner == Environment.ProcessId || owner is null || !IsRunning(owner.Value))
                Directory.Delete(dir, recursive: true);
        }
    }

    static bool IsRunning(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false; // no process has that id
        }
    }

    /// <summary>Keeps the newest <paramref name="keep"/> checkpoints. Each older one is renamed out of the step-NNNNNNNN
    /// namespace first, so a prune cut short never leaves a half-deleted directory that looks like a checkpoint.</summary>
    static void Prune(string directory, int keep)
    {
        var all = List(directory);
        foreach (var old in all.Take(Math.Max(0, all.Count - keep)))
        {
            var trash = Path.Combine(directory, $"{TrashPrefix}{Path.GetFileName(old)}-{Environment.ProcessId}");
            Directory.Move(old, trash);
            Directory.Delete(trash, recursive: true);
        }
    }

    static void KillIfAsked(int step, string file)
    {
        var asked = Environment.GetEnvironmentVariable(KillDuringSaveVariable);
        if (asked == $"{step}:{file}")
            Process.GetCurrentProcess().Kill(); // SIGKILL on Linux: no flushing, no cleanup, as a crash or an OOM kill
        else if (asked == $"{step}:{file}:SIGTERM" || asked == $"{step}:{file}:SIGINT")
            SendSignal(Environment.ProcessId, asked.EndsWith("SIGTERM", StringComparison.Ordinal) ? 15 : 2);
    }

    /// <summary>Flushes the directory entry of the rename to disk (Linux), so the new name survives a power cut.</summary>
    static void SyncDirectory(string directory)
    {
        if (!OperatingSystem.IsLinux()) return;
        const int ReadOnlyDirectory = 0x10000; // O_RDONLY | O_DIRECTORY
        var fd = Open(directory, ReadOnlyDirectory);
        if (fd < 0) return;
        Fsync(fd);
        Close(fd);
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    static extern int SendSignal(int pid, int signal);

    [DllImport("libc", EntryPoint = "open", SetLastError = true)]
    static extern int Open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);

    [DllImport("libc", EntryPoint = "fsync", SetLastError = true)]
    static extern int Fsync(int fd);

    [DllImport("libc", EntryPoint = "close", SetLastError = true)]
    static extern int Close(int fd);
}

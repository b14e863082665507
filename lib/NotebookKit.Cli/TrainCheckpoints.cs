using System.CommandLine;
using System.Text.Json;
using NotebookKit.Checkpoints;
using NotebookKit.Training;

namespace NotebookKit.Cli;

/// <summary>
/// The checkpoint flags of <c>nbk train</c> (<c>--checkpoint-dir</c>, <c>--checkpoint-every</c>, <c>--keep</c>,
/// <c>--resume [PATH]</c>, <c>--allow-changes</c>) and what they do around the training loop: the run directory's lock,
/// its <see cref="RunFile"/>, finding the checkpoint to continue from, and saving.
/// </summary>
internal sealed class TrainCheckpoints
{
    readonly Option<string?> _directory = new("--checkpoint-dir")
    {
        Description = "Directory for this run's checkpoints (step-NNNNNNNN folders). With it, the run saves every --checkpoint-every steps, at the end, and when stopped by Ctrl+C or SIGTERM.",
    };

    readonly Option<int> _every = new("--checkpoint-every")
    {
        Description = "Save a checkpoint every N steps; 0 saves only at the end of the run.",
        DefaultValueFactory = _ => 0,
    };

    readonly Option<int> _keep = new("--keep")
    {
        Description = "How many checkpoints to keep, newest first; older ones are removed after each save. 3: a damaged newest one leaves two to fall back to.",
        DefaultValueFactory = _ => 3,
    };

    readonly Option<string?> _resume = new("--resume")
    {
        Arity = ArgumentArity.ZeroOrOne,
        Description = "Continue a run. --resume DIR: the run's checkpoint directory (its newest intact checkpoint; a damaged one is moved aside " +
                      "with a line saying why) or one step-NNNNNNNN folder; the settings, data and log paths come from there, and flags may only " +
                      "extend the run (--iters, --timeline, --tensorboard, --checkpoint-every, --keep, --threads, --device). " +
                      "Bare --resume continues --checkpoint-dir, from step 0 when it holds no checkpoint yet.",
    };

    readonly Option<bool> _allowChanges = new("--allow-changes")
    {
        Description = "With --resume: accept flags that change the saved settings (the run then does not continue exactly).",
    };

    /// <summary>Adds the flags to <paramref name="command"/>.</summary>
    public void AddTo(Command command)
    {
        foreach (var option in new Option[] { _directory, _every, _keep, _resume, _allowChanges }) command.Options.Add(option);
    }

    /// <summary>Reads and checks the flags' combinations; nothing on disk is touched yet.</summary>
    /// <exception cref="CliError">A flag needs --checkpoint-dir or --resume, or a number is out of range.</exception>
    public Request Read(ParseResult parse)
    {
        var every = parse.GetResult(_every) is { Implicit: false } ? parse.GetValue(_every) : (int?)null;
        var keep = parse.GetResult(_keep) is { Implicit: false } ? parse.GetValue(_keep) : (int?)null;
        var directory = parse.GetValue(_directory);
        var resuming = parse.GetResult(_resume) is not null;
        var resumePath = parse.GetValue(_resume);
        if (every < 0) throw new CliError($"--checkpoint-every {every} must not be negative: use N > 0 to save every N steps, or 0 to save only at the end");
        if (keep < 1) throw new CliError($"--keep {keep} must be at least 1: it is how many checkpoints stay on disk (default 3)");
        if (resuming && resumePath is null && directory is null)
            throw new CliError("--resume needs a path: pass the run's checkpoint directory (--resume DIR), or give --checkpoint-dir DIR with a bare --resume");
        if (!resuming && directory is null)
        {
            if (every is not null) throw new CliError("--checkpoint-every needs --checkpoint-dir: pass where to save the checkpoints");
            if (keep is not null) throw new CliError("--keep needs --checkpoint-dir: pass where the checkpoints are saved");
        }
        var allowChanges = parse.GetValue(_allowChanges);
        if (allowChanges && !resuming) throw new CliError("--allow-changes only applies to --resume: a new run takes every flag as given");
        var source = resumePath ?? (resuming ? directory : null);
        // A checkpoint folder's run directory is its parent; saves go there unless --checkpoint-dir names another.
        var target = directory ?? (source is null ? null : IsCheckpointFolder(source) ? Path.GetDirectoryName(Path.GetFullPath(source)) : source);
        return new Request(target, every, keep, source, bareResume: resuming && resumePath is null, allowChanges);
    }

    static bool IsCheckpointFolder(string path) =>
        File.Exists(Path.Combine(path, Checkpoint.ManifestFile)) || Checkpoint.List(Path.GetDirectoryName(Path.GetFullPath(path)) ?? "").Contains(Path.GetFullPath(path));

    /// <summary>What the flags asked for.</summary>
    /// <param name="directory">Where this run saves; null means no checkpoints.</param>
    /// <param name="every">--checkpoint-every when given.</param>
    /// <param name="keep">--keep when given.</param>
    /// <param name="resumeFrom">The run directory or checkpoint folder to continue, or null for a new run.</param>
    /// <param name="bareResume">The old form: --checkpoint-dir D --resume, which starts from step 0 when D holds nothing.</param>
    /// <param name="allowChanges">--allow-changes.</param>
    internal sealed class Request(string? directory, int? every, int? keep, string? resumeFrom, bool bareResume, bool allowChanges)
    {
        /// <summary>Where this run saves; null means no checkpoints.</summary>
        public string? Directory { get; } = directory;

        /// <summary>Whether flags that change the saved settings are accepted.</summary>
        public bool AllowChanges { get; } = allowChanges;

        /// <summary>Whether the run continues an earlier one.</summary>
        public bool Resuming => resumeFrom is not null;

        /// <summary>
        /// Takes the run directory's lock (one nbk train per directory), so nothing else saves or prunes there while this
        /// run lives. Null when the run saves no checkpoints.
        /// </summary>
        /// <exception cref="CliError">Another process holds the lock, or the directory cannot be created.</exception>
        public RunLock? Lock() => Directory is null ? null : RunLock.Acquire(Directory);

        /// <summary>
        /// Finds the checkpoint to continue from, newest first, skipping damaged ones; null for a new run, and for the bare
        /// --resume in a directory with no checkpoint yet. A new run in a directory that already holds checkpoints is refused.
        /// Call with the lock held: damaged checkpoints newer than the one chosen are moved aside (renamed, never deleted) so
        /// the run's next saves cannot collide with them.
        /// </summary>
        /// <exception cref="CliError">Nothing to resume, every checkpoint damaged, or a new run in a used directory.</exception>
        public ResumePoint? Find()
        {
            if (resumeFrom is null)
            {
                if (Directory is not null && Checkpoint.Latest(Directory) is { } existing)
                    throw new CliError($"checkpoint directory '{Directory}' already holds checkpoints (newest {Path.GetFileName(existing)}): pass --resume to continue that run, or choose an empty --checkpoint-dir for a new one");
                return null;
            }
            if (!System.IO.Directory.Exists(resumeFrom))
            {
                if (bareResume) return null;
                throw new CliError($"--resume '{resumeFrom}' does not exist: pass the run's checkpoint directory or one of its step-NNNNNNNN folders");
            }
            var single = IsCheckpointFolder(resumeFrom);
            var runDirectory = single ? Path.GetDirectoryName(Path.GetFullPath(resumeFrom))! : resumeFrom;
            var candidates = single ? [resumeFrom] : Checkpoint.List(resumeFrom).Reverse().ToArray();
            if (candidates.Length == 0)
            {
                if (bareResume) return null;
                throw new CliError($"--resume '{resumeFrom}' holds no checkpoint (no step-NNNNNNNN folder): pass the directory a run saved to with --checkpoint-dir");
            }
            var damaged = new List<(string Path, string Why)>();
            foreach (var candidate in candidates)
            {
                try
                {
                    var manifest = Checkpoint.Read(candidate);
                    return Chosen(candidate, manifest, runDirectory, damaged);
                }
                catch (Exception e) when (e is InvalidDataException or IOException)
                {
                    if (single)
                        throw new CliError($"{e.Message.Replace("; resume from an older checkpoint", "").Replace("; resume from an older one", "")}: pass the run directory (--resume {runDirectory}) to continue from its newest intact checkpoint");
                    damaged.Add((candidate, e.Message));
                }
            }
            throw new CliError($"every checkpoint in '{resumeFrom}' is damaged, the newest because {damaged[0].Why}: start a new run");
        }

        ResumePoint Chosen(string checkpoint, CheckpointManifest manifest, string runDirectory, List<(string Path, string Why)> damaged)
        {
            var sameDirectory = Directory is not null && Path.GetFullPath(Directory) == Path.GetFullPath(runDirectory);
            if (sameDirectory && damaged.Count == 0 && Checkpoint.Latest(runDirectory) is { } newest && Path.GetFullPath(newest) != Path.GetFullPath(checkpoint))
                throw new CliError($"{Path.GetFileName(checkpoint)} is not the newest checkpoint in '{runDirectory}' ({Path.GetFileName(newest)} is): continuing it there would mix two runs; " +
                                   $"pass --checkpoint-dir NEW to branch from it, or --resume {runDirectory} to continue the newest");
            if (!sameDirectory && Directory is not null && Checkpoint.Latest(Directory) is { } other)
                throw new CliError($"checkpoint directory '{Directory}' already holds checkpoints (newest {Path.GetFileName(other)}): choose an empty --checkpoint-dir to branch from {checkpoint}");
            var notes = new List<string>();
            foreach (var (path, why) in damaged)
            {
                var aside = MoveAside(path);
                notes.Add($"checkpoint {Path.GetFileName(path)} is damaged ({why.Replace("; resume from an older checkpoint", "").Replace("; resume from an older one", "")}): moved it to {aside} and continuing from {Path.GetFileName(checkpoint)}");
            }
            return new ResumePoint(checkpoint, manifest, RunFile.Load(runDirectory), notes);
        }

        /// <summary>Renames a damaged checkpoint out of the step-NNNNNNNN namespace, keeping it for inspection.</summary>
        static string MoveAside(string checkpoint)
        {
            var aside = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(checkpoint))!, $"damaged-{Path.GetFileName(checkpoint)}-{DateTime.UtcNow:yyyyMMddTHHmmss}");
            System.IO.Directory.Move(checkpoint, aside);
            return aside;
        }

        /// <summary>The save plan of this run: the flags given, else what the resumed run saved, else the defaults.</summary>
        public Saver Saver(RunFile? saved) => new(Directory, every ?? saved?.CheckpointEvery ?? 0, keep ?? saved?.Keep ?? 3);
    }

    /// <summary>A checkpoint to continue from.</summary>
    /// <param name="Checkpoint">Its step-NNNNNNNN folder.</param>
    /// <param name="Manifest">Its manifest, already checked whole.</param>
    /// <param name="Saved">What the run that wrote it was given (data, logs), when its directory has a <see cref="RunFile"/>.</param>
    /// <param name="Notes">Lines for the user: damaged checkpoints skipped and where they went.</param>
    internal sealed record ResumePoint(string Checkpoint, CheckpointManifest Manifest, RunFile? Saved, IReadOnlyList<string> Notes);

    /// <summary>Saves a run's checkpoints: every <paramref name="Every"/> steps, at the end, and when stopped.</summary>
    /// <param name="Directory">The run's checkpoint directory; null means no checkpoints.</param>
    /// <param name="Every">Save every this many steps; 0 only at the end.</param>
    /// <param name="Keep">Checkpoints kept on disk.</param>
    internal sealed record Saver(string? Directory, int Every, int Keep)
    {
        /// <summary>After each step: saves when the step is a multiple of <see cref="Every"/>. Returns the new checkpoint's path, or null.</summary>
        public string? AfterStep(Trainer trainer, string vocabulary) =>
            Every > 0 && trainer.StepCount % Every == 0 ? Final(trainer, vocabulary) : null;

        /// <summary>After the loop, or when stopped: saves the current state unless that step is already saved. Returns the new checkpoint's path, or null.</summary>
        public string? Final(Trainer trainer, string vocabulary) =>
            Directory is not null && !System.IO.Directory.Exists(Path.Combine(Directory, Checkpoint.NameFor(trainer.StepCount)))
                ? Save(trainer, Directory, vocabulary)
                : null;

        /// <summary>The newest checkpoint in the directory, or null.</summary>
        public string? Latest => Directory is null ? null : Checkpoint.Latest(Directory);

        /// <summary>Saves, turning a disk error (no space, no permission) into one line that names the directory.</summary>
        string Save(Trainer trainer, string directory, string vocabulary)
        {
            try
            {
                return Checkpoint.Save(trainer, directory, vocabulary, Keep);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new CliError($"cannot save the checkpoint of step {trainer.StepCount} in '{directory}': {e.Message.TrimEnd('.')}; free space or pick a writable --checkpoint-dir, then rerun with --resume {directory}", exitCode: 1);
            }
        }
    }
}

/// <summary>
/// What <c>nbk train</c> was given beyond the model and training settings (which the checkpoints' manifests hold), kept in
/// the run directory as <see cref="FileName"/> so that <c>nbk train --resume DIR</c> alone finds the same data and logs.
/// </summary>
/// <param name="Data">The --data file as a full path; null for the bundled corpus or pairs.</param>
/// <param name="Sft">Whether the run trained on prompt/response pairs.</param>
/// <param name="Fault">The --fault name.</param>
/// <param name="Timeline">The --timeline file as a full path, or null.</param>
/// <param name="TensorBoard">The --tensorboard folder as a full path, or null.</param>
/// <param name="CheckpointEvery">--checkpoint-every.</param>
/// <param name="Keep">--keep.</param>
/// <param name="Threads">--threads: torch may sum in another order with another thread count, so a resume keeps it for an exact continuation.</param>
internal sealed record RunFile(string? Data, bool Sft, string Fault, string? Timeline, string? TensorBoard, int CheckpointEvery, int Keep, int Threads)
{
    /// <summary>The file's name inside the run directory.</summary>
    public const string FileName = "nbk-train.json";

    static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase, RespectRequiredConstructorParameters = true };

    /// <summary>Reads the run file of <paramref name="directory"/>, or null when it has none (a directory written before nbk kept one).</summary>
    /// <exception cref="CliError">The file exists but is not such JSON.</exception>
    public static RunFile? Load(string directory)
    {
        var path = Path.Combine(directory, FileName);
        if (!File.Exists(path)) return null;
        try
        {
            return JsonSerializer.Deserialize<RunFile>(File.ReadAllText(path), Json) ?? throw new JsonException("null");
        }
        catch (JsonException e)
        {
            throw new CliError($"run file '{path}' is not valid ({e.Message}): delete it and pass --data, --sft and --fault as the run was started");
        }
    }

    /// <summary>Writes the file into <paramref name="directory"/> atomically.</summary>
    public void Save(string directory)
    {
        var path = Path.Combine(directory, FileName);
        var temp = $"{path}.{Environment.ProcessId}.tmp";
        File.WriteAllText(temp, JsonSerializer.Serialize(this, Json) + "\n");
        File.Move(temp, path, overwrite: true);
    }
}

/// <summary>
/// The lock that lets one <c>nbk train</c> at a time use a run directory: an exclusive lock on its
/// <see cref="FileName"/>, which the operating system releases when the process ends, however it ends. The file stays
/// (removing it would let two processes lock two different files of the same name).
/// </summary>
internal sealed class RunLock : IDisposable
{
    /// <summary>The lock file's name inside the run directory.</summary>
    public const string FileName = "nbk-train.lock";

    readonly FileStream _file;

    RunLock(FileStream file) => _file = file;

    /// <summary>Creates <paramref name="directory"/> when missing and locks it.</summary>
    /// <exception cref="CliError">Another process holds the lock, or the directory cannot be created or written.</exception>
    public static RunLock Acquire(string directory)
    {
        try
        {
            Directory.CreateDirectory(directory);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CliError($"cannot create checkpoint directory '{directory}': {e.Message.TrimEnd('.')}; pick a writable --checkpoint-dir");
        }
        var path = Path.Combine(directory, FileName);
        try
        {
            // FileShare.None takes an exclusive flock on Linux: a second process's open fails at once.
            var file = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            file.SetLength(0);
            file.Write(System.Text.Encoding.ASCII.GetBytes($"{Environment.ProcessId}\n"));
            file.Flush();
            return new RunLock(file);
        }
        catch (IOException) when (File.Exists(path))
        {
            throw new CliError($"checkpoint directory '{directory}' is in use by another nbk train (it holds the lock on {path}): wait for that run to end or stop it, or pick another --checkpoint-dir");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CliError($"cannot write in checkpoint directory '{directory}': {e.Message.TrimEnd('.')}; pick a writable --checkpoint-dir");
        }
    }

    /// <summary>Releases the lock.</summary>
    public void Dispose() => _file.Dispose();
}

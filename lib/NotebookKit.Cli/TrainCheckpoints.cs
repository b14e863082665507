using System.CommandLine;
using NotebookKit.Checkpoints;
using NotebookKit.Training;

namespace NotebookKit.Cli;

/// <summary>
/// The checkpoint flags of <c>nbk train</c> (<c>--checkpoint-dir</c>, <c>--checkpoint-every</c>, <c>--keep</c>,
/// <c>--resume</c>) and what they do around the training loop.
/// </summary>
internal sealed class TrainCheckpoints
{
    readonly Option<string?> _directory = new("--checkpoint-dir")
    {
        Description = "Directory for this run's checkpoints (step-NNNNNNNN folders). With it, the run saves every --checkpoint-every steps and at the end.",
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

    readonly Option<bool> _resume = new("--resume")
    {
        Description = "Continue from the newest complete checkpoint in --checkpoint-dir (start from step 0 when it holds none). Pass the same flags as the first run for an exact continuation.",
    };

    /// <summary>Adds the four flags to <paramref name="command"/>.</summary>
    public void AddTo(Command command)
    {
        command.Options.Add(_directory);
        command.Options.Add(_every);
        command.Options.Add(_keep);
        command.Options.Add(_resume);
    }

    /// <summary>Reads and checks the flags.</summary>
    /// <exception cref="CliError">A flag needs --checkpoint-dir, or a number is out of range.</exception>
    public Plan Read(ParseResult parse)
    {
        var plan = new Plan(parse.GetValue(_directory), parse.GetValue(_every), parse.GetValue(_keep), parse.GetValue(_resume));
        if (plan.Every < 0) throw new CliError($"--checkpoint-every {plan.Every} must not be negative: use N > 0 to save every N steps, or 0 to save only at the end");
        if (plan.Keep < 1) throw new CliError($"--keep {plan.Keep} must be at least 1: it is how many checkpoints stay on disk (default 3)");
        if (plan.Directory is null)
        {
            if (plan.Resume) throw new CliError("--resume needs --checkpoint-dir: pass the directory the interrupted run saved its checkpoints to");
            if (parse.GetResult(_every) is { Implicit: false }) throw new CliError("--checkpoint-every needs --checkpoint-dir: pass where to save the checkpoints");
            if (parse.GetResult(_keep) is { Implicit: false }) throw new CliError("--keep needs --checkpoint-dir: pass where the checkpoints are saved");
        }
        return plan;
    }

    /// <summary>What the flags asked for, applied to one run.</summary>
    /// <param name="Directory">The run's checkpoint directory; null means no checkpoints.</param>
    /// <param name="Every">Save every this many steps; 0 only at the end.</param>
    /// <param name="Keep">Checkpoints kept on disk.</param>
    /// <param name="Resume">Continue from the newest checkpoint in <paramref name="Directory"/>.</param>
    internal sealed record Plan(string? Directory, int Every, int Keep, bool Resume)
    {
        /// <summary>
        /// Before the first step: restores the newest checkpoint when resuming, and refuses to start a new run in a
        /// directory that already holds checkpoints (it would mix two runs). Returns a line for the user, or null.
        /// </summary>
        public string? Start(Trainer trainer, string vocabulary)
        {
            if (Directory is null) return null;
            try
            {
                System.IO.Directory.CreateDirectory(Directory); // fail now, not after the first N steps
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new CliError($"cannot create checkpoint directory '{Directory}': {e.Message.TrimEnd('.')}; pick a writable --checkpoint-dir");
            }
            var latest = Checkpoint.Latest(Directory);
            if (!Resume)
            {
                if (latest is not null)
                    throw new CliError($"checkpoint directory '{Directory}' already holds checkpoints (newest {Path.GetFileName(latest)}): pass --resume to continue that run, or choose an empty --checkpoint-dir for a new one");
                return null;
            }
            if (latest is null) return $"no checkpoint in '{Directory}' yet: starting from step 0";
            var saved = Checkpoint.Restore(trainer, latest, vocabulary).Train;
            var changed = typeof(TrainConfig).GetProperties()
                .Where(p => p.Name != nameof(TrainConfig.Schedule) && !Equals(p.GetValue(saved), p.GetValue(trainer.Config)))
                .Select(p => $"{p.Name} {p.GetValue(saved) ?? "unset"} -> {p.GetValue(trainer.Config) ?? "unset"}")
                .ToArray();
            return $"resumed from {latest} at step {trainer.StepCount}" +
                   (changed.Length == 0 ? "" : $" (settings changed since it was saved, so the run will not continue exactly: {string.Join(", ", changed)})");
        }

        /// <summary>After each step: saves when the step is a multiple of <see cref="Every"/>. Returns the new checkpoint's path, or null.</summary>
        public string? AfterStep(Trainer trainer, string vocabulary) =>
            Directory is not null && Every > 0 && trainer.StepCount % Every == 0 ? Save(trainer, Directory, vocabulary) : null;

        /// <summary>After the loop: saves the final state unless that step is already saved. Returns the new checkpoint's path, or null.</summary>
        public string? Finish(Trainer trainer, string vocabulary) =>
            Directory is not null && !System.IO.Directory.Exists(Path.Combine(Directory, Checkpoint.NameFor(trainer.StepCount)))
                ? Save(trainer, Directory, vocabulary)
                : null;

        /// <summary>Saves, turning a disk error (no space, no permission) into one line that names the directory.</summary>
        string Save(Trainer trainer, string directory, string vocabulary)
        {
            try
            {
                return Checkpoint.Save(trainer, directory, vocabulary, Keep);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new CliError($"cannot save the checkpoint of step {trainer.StepCount} in '{directory}': {e.Message.TrimEnd('.')}; free space or pick a writable --checkpoint-dir, then rerun with --resume", exitCode: 1);
            }
        }
    }
}

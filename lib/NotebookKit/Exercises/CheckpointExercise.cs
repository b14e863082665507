using System.Text.RegularExpressions;

namespace NotebookKit.Exercises;

/// <summary>
/// Exercise: list what a checkpoint must hold to resume a run exactly. Each answer string must name one kind of
/// state outright ("RNG state", "scheduler position"): it is compared as a whole phrase with the phrasings each item
/// accepts, never searched for a keyword, and answers that sound close but are wrong ("seed" for the RNG state,
/// "batch size" for the data position) get their own explanation.
/// </summary>
public static partial class CheckpointExercise
{
    const string Name = "What a checkpoint must hold";

    /// <summary>Each required item, why it is needed, and the phrasings that name it (compared after <see cref="Normalise"/>).</summary>
    static readonly (string Item, string Why, string[] Phrasings)[] Required =
    [
        ("model weights", "the parameters themselves",
            ["model weights", "weights", "model parameters", "parameters", "params", "model params", "model state dict", "state dict", "weights and biases"]),
        ("optimizer state", "AdamW's first and second moments (m and v) and its step count",
            ["optimizer state", "optimizer", "optimizer state dict", "optimizer moments", "adam state", "adamw state", "adam moments", "adamw moments",
             "moments", "m and v", "first and second moments", "exp avg and exp avg sq", "momentum buffers"]),
        ("scheduler position", "where the learning-rate schedule is, or the LR restarts its warmup",
            ["scheduler position", "scheduler state", "scheduler", "scheduler step", "lr scheduler", "lr scheduler state", "lr scheduler position",
             "learning rate scheduler", "learning rate scheduler state", "schedule position", "lr schedule position", "learning rate schedule position"]),
        ("RNG state", "the random generators' state, or dropout masks differ",
            ["rng state", "rng states", "rng", "random state", "random states", "generator state", "generator states", "random generator state",
             "random number generator state", "torch rng state", "cpu rng state"]),
        ("data position", "the sampler's position, or batches repeat",
            ["data position", "sampler position", "sampler state", "sampler", "data loader state", "dataloader state", "data loader position",
             "dataloader position", "data order position", "position in the data", "data sampler position", "data sampler state", "epoch and offset"]),
        ("config", "model and training settings, to rebuild the same run",
            ["config", "configs", "configuration", "model config", "training config", "train config", "model and training config", "hyperparameters",
             "settings", "model and training settings", "run config"]),
        ("step counters", "loop step and tokens seen",
            ["step counters", "step counter", "step count", "step", "steps", "global step", "iteration", "iteration count", "loop step", "optimizer step",
             "tokens seen", "step and tokens seen", "counters"]),
    ];

    /// <summary>Answers that sound like a required item and are not, with what to say instead (compared after <see cref="Normalise"/>).</summary>
    static readonly (string[] Phrasings, string Why)[] Rejected =
    [
        (["seed", "random seed", "rng seed", "seeds", "torch seed"],
            "a seed recreates the generator as it was at step 0, not where it stood at the checkpoint: resuming from it draws the first steps' dropout masks again, " +
            "the resume-without-rng-state fault of notebook 08. Save the generator's state (\"RNG state\")"),
        (["batch size", "batch", "batches", "batch number"],
            "the batch size is part of the config; it does not say where the data stream was. Save the data position (the sampler's state), or batches repeat"),
        (["metadata", "meta data", "info", "state", "everything", "misc"],
            "too vague to restore anything from: name the piece of state, e.g. \"data position\" or \"RNG state\""),
        (["data", "dataset", "training data", "the data"],
            "the data itself stays where it is; what a resume needs is the position in it (\"data position\": the sampler's state)"),
        (["lr", "learning rate", "current lr", "current learning rate"],
            "the current learning rate is one value of the schedule; a resume needs the scheduler's position (\"scheduler position\") so the schedule continues instead of restarting its warmup"),
        (["model", "the model", "checkpoint"],
            "say which part: the model's weights (\"model weights\") and its shape (\"config\") are separate items"),
        (["loss", "losses", "gradients", "grads", "gradient"],
            "not needed: gradients are zeroed before the next step and the loss is recomputed, so neither is state a resume needs"),
    ];

    /// <summary>Checks the learner's list: every required item named outright, with a specific word on each answer that names none.</summary>
    public static Feedback Check(IEnumerable<string>? items)
    {
        var given = items?.Where(i => !string.IsNullOrWhiteSpace(i)).ToArray() ?? [];
        if (given.Length == 0)
            return Feedback.NotAnswered(Name, "list what you would save, one item per string (e.g. \"model weights\").");
        var covered = new HashSet<int>();
        var notes = new List<string>();
        foreach (var answer in given)
        {
            var (item, rejection) = Classify(answer);
            if (item >= 0) covered.Add(item);
            else if (rejection is not null) notes.Add($"'{answer.Trim()}' does not count: {rejection}.");
            else notes.Add($"'{answer.Trim()}' is not one of the items this exercise knows; name each piece of state plainly, e.g. \"optimizer state\" or \"data position\".");
        }
        var missing = Required.Where((_, i) => !covered.Contains(i)).ToArray();
        var remarks = notes.Count > 0 ? " " + string.Join(" ", notes) : "";
        if (missing.Length == 0)
            return Feedback.Pass(Name, "all seven: weights, optimizer state, scheduler position, RNG state, data position, step counters and config. With them, N + N steps equal 2N bit for bit." + remarks);
        return Feedback.Fail(Name, "missing from your checkpoint list: " + string.Join("; ", missing.Select(m => $"{m.Item} ({m.Why})")) + "." + remarks);
    }

    /// <summary>The required item an answer names (-1 for none) and, when it names none, the rejection that explains why.</summary>
    static (int Item, string? Rejection) Classify(string answer)
    {
        // "optimizer state (AdamW moments)": the phrase outside the brackets decides, the bracket is tried when it names nothing.
        var outside = Normalise(Brackets().Replace(answer, " "));
        var inside = Brackets().Matches(answer).Select(m => Normalise(m.Value)).ToArray();
        foreach (var phrase in inside.Prepend(outside))
        {
            var item = Array.FindIndex(Required, r => r.Phrasings.Any(p => Normalise(p) == phrase));
            if (item >= 0) return (item, null);
        }
        foreach (var phrase in inside.Prepend(outside))
            if (Rejected.FirstOrDefault(r => r.Phrasings.Any(p => Normalise(p) == phrase)) is { Why: { } why }) return (-1, why);
        return (-1, null);
    }

    /// <summary>Lower case, punctuation to spaces, articles dropped, a plural s taken off each word: "The RNG-states" is "rng state".</summary>
    static string Normalise(string text)
    {
        var words = NonWord().Replace(text.ToLowerInvariant(), " ").Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .Where(w => w is not ("the" or "a" or "an" or "its" or "our"))
            .Select(w => w.Length > 3 && w.EndsWith('s') && !w.EndsWith("ss", StringComparison.Ordinal) ? w[..^1] : w);
        return string.Join(' ', words);
    }

    [GeneratedRegex(@"\(([^)]*)\)")]
    private static partial Regex Brackets();

    [GeneratedRegex(@"[^a-z0-9]+")]
    private static partial Regex NonWord();
}

namespace NotebookKit.Exercises;

/// <summary>Exercise: list what a checkpoint must hold to resume a run exactly.</summary>
public static class CheckpointExercise
{
    const string Name = "What a checkpoint must hold";

    /// <summary>
    /// Each required item with the words a learner may use for it, most specific first: each answer
    /// string counts for the first item it mentions, so "scheduler position" is not also taken as
    /// the data position, nor "model config" as the weights.
    /// </summary>
    static readonly (string Item, string Why, string[] Words)[] Required =
    [
        ("optimizer state", "AdamW's first and second moments (m and v) and its step count", ["optim", "moment", "adam", "exp_avg", "momentum"]),
        ("scheduler position", "where the learning-rate schedule is, or the LR restarts its warmup", ["schedul", "lr", "learning rate", "learning-rate"]),
        ("RNG state", "the random generators' state, or dropout masks differ", ["rng", "random", "seed", "generator"]),
        ("data position", "the sampler's position, or batches repeat", ["data", "sampler", "batch", "epoch", "shard", "loader"]),
        ("config", "model and training settings, to rebuild the same run", ["config", "hyperparam", "setting", "architecture"]),
        ("step counters", "loop step and tokens seen", ["step", "counter", "iteration", "iter", "tokens seen"]),
        ("model weights", "the parameters themselves", ["weight", "param", "model"]),
    ];

    /// <summary>Checks the learner's list; names every required item that is missing.</summary>
    public static Feedback Check(IEnumerable<string>? items)
    {
        var given = items?.Where(i => !string.IsNullOrWhiteSpace(i)).Select(i => i.ToLowerInvariant()).ToArray() ?? [];
        if (given.Length == 0)
            return Feedback.NotAnswered(Name, "list what you would save, one item per string (e.g. \"model weights\").");
        var covered = given.Select(g => Array.FindIndex(Required, r => r.Words.Any(g.Contains))).ToHashSet();
        var missing = Required.Where((_, i) => !covered.Contains(i)).ToArray();
        if (missing.Length == 0)
            return Feedback.Pass(Name, "all seven: weights, optimizer state, scheduler position, RNG state, data position, step counters and config. With them, N + N steps equal 2N bit for bit.");
        return Feedback.Fail(Name, "missing from your checkpoint list: " + string.Join("; ", missing.Select(m => $"{m.Item} ({m.Why})")) + ".");
    }
}

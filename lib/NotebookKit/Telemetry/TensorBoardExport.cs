using TorchSharp;

namespace NotebookKit.Telemetry;

/// <summary>Writes a run's timeline as TensorBoard event files (through TorchSharp's SummaryWriter).</summary>
public static class TensorBoardExport
{
    /// <summary>
    /// Writes every step of <paramref name="log"/> into a new event file under <paramref name="directory"/>:
    /// train/loss, val/loss, lr, grad_norm, tokens_per_s, mfu, skipped and loss_scale, indexed by step; then what the
    /// loop doctor reads, where recorded: grad_norm_at_step, train/token_mean_loss, val/loss_repeat, rank_overlap and
    /// stale_grad_norm.
    /// </summary>
    public static void Write(RunLog log, string directory)
    {
        var writer = torch.utils.tensorboard.SummaryWriter(directory);
        foreach (var s in log.Steps) Add(writer, s);
    }

    /// <summary>
    /// Adds one step to <paramref name="writer"/>, with the tags <see cref="Write"/> uses. TorchSharp's writer appends
    /// each value to its event file and flushes it at once, so a run that adds every step as it goes leaves every
    /// finished step in the file however it ends.
    /// </summary>
    public static void Add(TorchSharp.Modules.SummaryWriter writer, StepRecord s)
    {
        writer.add_scalar("train/loss", (float)s.Loss, s.Step);
        if (s.ValLoss is { } val) writer.add_scalar("val/loss", (float)val, s.Step);
        writer.add_scalar("lr", (float)s.LearningRate, s.Step);
        writer.add_scalar("grad_norm", (float)s.GradNorm, s.Step);
        writer.add_scalar("tokens_per_s", (float)s.TokensPerSecond, s.Step);
        writer.add_scalar("mfu", (float)s.Mfu, s.Step);
        writer.add_scalar("skipped", s.Skipped ? 1f : 0f, s.Step);
        writer.add_scalar("loss_scale", (float)s.LossScale, s.Step);
        writer.add_scalar("grad_norm_at_step", (float)s.GradNormAtStep, s.Step);
        if (s.TokenMeanLoss is { } tokenMean) writer.add_scalar("train/token_mean_loss", (float)tokenMean, s.Step);
        if (s.ValLossRepeat is { } repeat) writer.add_scalar("val/loss_repeat", (float)repeat, s.Step);
        if (s.RankOverlap is { } overlap) writer.add_scalar("rank_overlap", (float)overlap, s.Step);
        if (s.StaleGradNorm is { } stale) writer.add_scalar("stale_grad_norm", (float)stale, s.Step);
    }
}

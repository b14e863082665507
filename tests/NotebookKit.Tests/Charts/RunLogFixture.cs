using NotebookKit.Telemetry;

namespace NotebookKit.Tests.Charts;

/// <summary>Synthetic telemetry with every feature a timeline must show: a skipped step, clipped steps, validation points.</summary>
static class RunLogFixture
{
    /// <summary>20 steps; steps 3 and 4 clipped (norm 2.5 and 1.75 over a clip of 1.0); step 7 skipped with an infinite loss;
    /// validation at steps 5, 10, 15, 20; warmup over 5 steps.</summary>
    public static RunLog Healthy(string name = "correct")
    {
        var log = new RunLog(name, clipNorm: 1.0, entropyFloor: 1.25);
        var optimizerStep = 0;
        for (var step = 1; step <= 20; step++)
        {
            var skipped = step == 7;
            if (!skipped) optimizerStep++;
            var gradNorm = step switch { 3 => 2.5, 4 => 1.75, _ => 0.5 + 0.01 * step };
            var clipped = gradNorm > 1.0;
            log.Add(new StepRecord(
                Step: step,
                Tokens: step * 256L,
                Loss: skipped ? double.PositiveInfinity : 4.0 - 0.1 * step,
                ValLoss: step % 5 == 0 ? 4.05 - 0.1 * step : null,
                LearningRate: 3e-4 * Math.Min(1.0, step / 5.0),
                GradNorm: gradNorm,
                Clipped: clipped,
                TokensPerSecond: 15000 + 10 * step,
                Mfu: 0.1,
                Skipped: skipped,
                OptimizerStep: optimizerStep,
                GradNormAtStep: clipped ? 1.0 : gradNorm,
                LossScale: skipped ? 32768 : 65536));
        }
        return log;
    }

    /// <summary>The zero_grad-before-step bug: gradients are measured, but the optimizer sees zero, so the loss stays flat.</summary>
    public static RunLog ZeroGradBeforeStep()
    {
        var log = new RunLog("zero_grad before step", clipNorm: 1.0, entropyFloor: 1.25);
        for (var step = 1; step <= 20; step++)
            log.Add(new StepRecord(step, step * 256L, 3.95 + 0.002 * Math.Sin(step), step % 5 == 0 ? 3.97 : null,
                3e-4 * Math.Min(1.0, step / 5.0), 0.8, false, 15100, 0.1, false, step, 0.0));
        return log;
    }
}

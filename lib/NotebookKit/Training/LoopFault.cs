namespace NotebookKit.Training;

/// <summary>
/// A broken training loop on purpose: the switch the training layer reads. Each value changes exactly one line
/// of <see cref="Trainer.Step"/> or of the trainer's setup, marked <c>// fault:</c> where it breaks; the code still
/// runs, a loss is still logged, and the run is wrong. <see cref="None"/> is the healthy loop. The two resume faults
/// change no line of the trainer: they are what a restart leaves out (<c>Faults.ResumeDrill</c> carries them out).
/// Their names, their setup, the doctor that names them and the gallery live in <c>NotebookKit.Faults</c>.
/// </summary>
public enum LoopFault
{
    /// <summary>The healthy loop.</summary>
    None,
    /// <summary>Targets are the inputs themselves, not the inputs shifted by one: the model learns to copy.</summary>
    LabelsNotShifted,
    /// <summary>SFT masking inverted: the prompt counts in the loss and the response is masked.</summary>
    SftMaskInverted,
    /// <summary>The learning-rate schedule advances once per microbatch instead of once per optimizer step.</summary>
    SchedulerPerMicrobatch,
    /// <summary>Evaluation runs with dropout still on (the model is left in training mode).</summary>
    EvalInTrainMode,
    /// <summary>Gradients are never zeroed, so they pile up across steps.</summary>
    GradientsNeverZeroed,
    /// <summary>zero_grad runs between backward and the optimizer step: the optimizer sees zero gradients.</summary>
    ZeroGradBeforeStep,
    /// <summary>With accumulation, each microbatch's mean loss is backpropagated without dividing: gradients are accumulation times too large.</summary>
    AccumulationNotDivided,
    /// <summary>With accumulation, the step's loss is the mean of microbatch means, which weights tokens unequally when microbatches hold different numbers of target tokens.</summary>
    MeanOfMicrobatchMeans,
    /// <summary>Mixed precision skips overflowing steps but telemetry does not mark them skipped.</summary>
    UncountedSkips,
    /// <summary>Resume restores the optimizer state but not the scheduler position: the learning rate restarts its warmup.</summary>
    ResumeWithoutScheduler,
    /// <summary>Resume restores neither the RNG states nor the data position: batches and dropout masks repeat from the start.</summary>
    ResumeWithoutRngState,
    /// <summary>Every simulated rank draws the same shard, so data parallelism sees each window several times.</summary>
    RepeatedShards,
}

using System.Net;
using NotebookKit.Training;

namespace NotebookKit.Faults;

/// <summary>
/// One fault as a reader meets it in code: the line of our loop that breaks, the same mistake in a PyTorch or Hugging Face
/// loop, the one telemetry column that exposes it, and a line of Python that logs that column in one's own loop.
/// </summary>
/// <param name="Fault">The switch.</param>
/// <param name="File">The file under lib/NotebookKit that holds <paramref name="Ours"/>.</param>
/// <param name="Ours">The changed line (or lines) exactly as in <paramref name="File"/>, indentation removed and spaces collapsed;
/// a test keeps it equal to the source.</param>
/// <param name="Theirs">The same mistake in PyTorch / Hugging Face code, with a comment on what is wrong.</param>
/// <param name="Column">The telemetry column (as in <c>RunLog.CsvHeader</c>) whose values alone tell this fault from a healthy run.</param>
/// <param name="Reads">What that column shows under this fault, and what it shows in a healthy run.</param>
/// <param name="LogLine">One line of Python that logs the column in a hand-written PyTorch loop (<c>log</c> is your logger).</param>
public sealed record FaultCard(LoopFault Fault, string File, string Ours, string Theirs, string Column, string Reads, string LogLine)
{
    const string GradNorm = "sum(p.grad.norm().item() ** 2 for p in model.parameters() if p.grad is not None) ** 0.5";

    /// <summary>Every fault's card, in the enum's order.</summary>
    public static IReadOnlyList<FaultCard> All { get; } =
    [
        new(LoopFault.LabelsNotShifted, "Training/Trainer.cs",
            "if (fault == LoopFault.LabelsNotShifted) targets = batch.Inputs; // fault: the model learns to copy its input",
            "loss = F.cross_entropy(logits.flatten(0, 1), input_ids.flatten())  # targets are the inputs: shift with logits[:, :-1] and input_ids[:, 1:]\n" +
            "# HF: model(input_ids, labels=input_ids) shifts inside the model; shifting by hand as well trains it to predict two tokens ahead",
            "loss", "falls toward 0, below the entropy floor no next-token model can reach; a healthy loss levels off above the floor",
            "log(loss=loss.item())  # a training loss near 0 on real text is copying, not learning"),
        new(LoopFault.SftMaskInverted, "Training/Trainer.cs",
            "invertMask: config.Fault == LoopFault.SftMaskInverted), // fault: the prompt is learned, the response masked",
            "labels[:, prompt_len:] = -100  # masks the response; the prompt is what must get -100: labels[:, :prompt_len] = -100",
            "val_loss", "scored on responses only, it stays where it started while the training loss falls; a healthy run's falls with it",
            "log(val_loss=evaluate(model, val_loader))  # with the same -100 mask as training: response tokens only"),
        new(LoopFault.SchedulerPerMicrobatch, "Training/Trainer.cs",
            "if (fault == LoopFault.SchedulerPerMicrobatch) lr = Config.Schedule.At((SchedulerPosition + 1) * Config.Accumulation); // fault: the schedule counted every microbatch so far",
            "for micro in microbatches:\n    (model(**micro).loss / accum_steps).backward()\n    scheduler.step()  # inside the microbatch loop: the schedule counts microbatches\noptimizer.step()",
            "lr", "reaches its peak accumulation times too early and decays long before the run ends; a healthy one peaks when warmup ends",
            "log(lr=optimizer.param_groups[0][\"lr\"])  # the rate the optimizer used, not the one you configured"),
        new(LoopFault.EvalInTrainMode, "Training/Trainer.cs",
            "if (Config.Fault == LoopFault.EvalInTrainMode) model.train(); // fault: dropout stays on while evaluating",
            "val_loss = evaluate(model, val_loader)  # no model.eval() before it (and no model.train() after): dropout still fires",
            "val_loss_repeat", "a second evaluation of the same weights differs from val_loss; in eval mode the two are equal to the last bit",
            "log(val_loss_repeat=evaluate(model, val_loader))  # right after val_loss, same weights: must be the same number"),
        new(LoopFault.GradientsNeverZeroed, "Training/Trainer.cs",
            "if (fault != LoopFault.GradientsNeverZeroed) // fault: the line below never runs\nZeroGrad();",
            "loss.backward()\noptimizer.step()  # and no optimizer.zero_grad() anywhere in the loop",
            "stale_grad_norm", "the gradient already in .grad when a step begins is never 0; after zero_grad it is 0 (or None) on every step",
            $"log(stale_grad_norm={GradNorm})  # before the step's first backward"),
        new(LoopFault.ZeroGradBeforeStep, "Training/Trainer.cs",
            "if (fault == LoopFault.ZeroGradBeforeStep) ZeroGrad(); // fault: zero_grad before the step, which then sees no gradient",
            "loss.backward()\noptimizer.zero_grad()  # between backward and step: the optimizer steps on nothing\noptimizer.step()",
            "grad_norm_at_step", "the norm the optimizer saw is 0 on every step while grad_norm, measured right after backward, looks normal",
            $"log(grad_norm_at_step={GradNorm})  # just before optimizer.step()"),
        new(LoopFault.AccumulationNotDivided, "Training/Trainer.cs",
            "if (fault == LoopFault.AccumulationNotDivided) loss = lossSum.Over(batch.CountedTokens()).Over(Config.Ranks); // fault: each microbatch's mean, undivided",
            "for micro in microbatches:\n    model(**micro).loss.backward()  # no / accum_steps: the gradient is accum_steps times too large",
            "token_mean_loss", "the step's summed token losses over its target tokens, computed apart from the loss backpropagated: the logged loss is accumulation times it; equal in a healthy loop",
            "log(token_mean_loss=loss_sum / n_tokens)  # loss_sum: F.cross_entropy(..., reduction=\"sum\") added over the step's microbatches"),
        new(LoopFault.MeanOfMicrobatchMeans, "Training/Trainer.cs",
            "if (fault == LoopFault.MeanOfMicrobatchMeans) loss = lossSum.Over(batch.CountedTokens()).Over(microbatches.Count); // fault: a mean of microbatch means",
            "for micro in microbatches:\n    (model(**micro).loss / accum_steps).backward()  # each microbatch's own token mean: short microbatches weigh more\n" +
            "# from 4.46 the transformers Trainer divides by num_items_in_batch, the step's target-token count (for models whose loss accepts it)",
            "token_mean_loss", "differs from the logged loss a little on every step where microbatches hold different numbers of target tokens; equal in a healthy loop",
            "log(token_mean_loss=loss_sum / n_tokens)  # loss_sum: F.cross_entropy(..., reduction=\"sum\") added over the step's microbatches"),
        new(LoopFault.UncountedSkips, "Training/Trainer.cs",
            "if (fault == LoopFault.UncountedSkips) skipped = false; // fault: the timeline hides skipped steps",
            "scaler.step(optimizer)  # skips optimizer.step() when the gradients hold inf or NaN, and says nothing\nscaler.update()  # halves the scale after a skip",
            "optimizer_step", "the optimizer's own count of updates falls behind the loop step while no step is marked skipped; in a healthy run step = optimizer_step + skipped steps",
            "log(optimizer_step=int(optimizer.state[next(model.parameters())][\"step\"]))  # AdamW's update count: a skipped step does not advance it"),
        new(LoopFault.ResumeWithoutScheduler, "Faults/ResumeDrill.cs",
            "LoopFault.ResumeWithoutScheduler => new(SchedulerPosition: false),",
            "torch.save({\"model\": model.state_dict(), \"optimizer\": optimizer.state_dict()}, path)  # no \"lr_scheduler\": scheduler.state_dict()",
            "lr", "drops to a warmup value at the resume and climbs again; a healthy schedule never climbs after warmup",
            "log(lr=optimizer.param_groups[0][\"lr\"])  # the rate the optimizer used, not the one you configured"),
        new(LoopFault.ResumeWithoutRngState, "Faults/ResumeDrill.cs",
            "LoopFault.ResumeWithoutRngState => new(RngState: false, DataPosition: false),",
            "torch.save({\"model\": ..., \"optimizer\": ..., \"lr_scheduler\": ...}, path)  # no torch.get_rng_state() and no position in the data:\n" +
            "# the resumed loader starts from its first batch (Accelerate: save_state, then skip_first_batches(loader, n))",
            "batch_fingerprint", "after the resume, steps repeat the fingerprints of the run's first steps; random batches never repeat",
            "log(batch_fingerprint=hashlib.sha1(batch[\"input_ids\"].cpu().numpy().tobytes()).hexdigest()[:16])"),
        new(LoopFault.RepeatedShards, "Training/Trainer.cs",
            "if (config.Fault == LoopFault.RepeatedShards) shard = 0; // fault: every rank reads rank 0's shard",
            "loader = DataLoader(dataset, batch_size=B, shuffle=True)  # on every rank with one seed, no DistributedSampler(dataset, num_replicas=world, rank=rank)\n" +
            "# its neighbour: a DistributedSampler without sampler.set_epoch(epoch) keeps the shards apart but repeats one order every epoch",
            "rank_overlap", "the fraction of a step's items drawn by more than one rank is 1; with each rank on its own shard it is 0",
            "dist.all_gather_object(ids := [None] * dist.get_world_size(), batch_indices); c = Counter(i for r in ids for i in set(r)); " +
            "log(rank_overlap=sum(c[i] > 1 for r in ids for i in r) / sum(map(len, ids)))"),
    ];

    /// <summary>The card of <paramref name="fault"/>.</summary>
    /// <exception cref="ArgumentException"><see cref="LoopFault.None"/>, which breaks no line.</exception>
    public static FaultCard Of(LoopFault fault) => All.FirstOrDefault(c => c.Fault == fault)
        ?? throw new ArgumentException($"{fault} breaks no line of the loop: pass one of {string.Join(", ", LoopFaultNames.All)}");

    /// <summary>The card as four labelled blocks: our line, theirs, the column and how to log it.</summary>
    public string ToHtml()
    {
        static string Code(string text) =>
            $"<pre style=\"background:#f6f8fa;padding:6px 8px;margin:2px 0 8px;white-space:pre-wrap;font-size:12.5px\"><code>{WebUtility.HtmlEncode(text)}</code></pre>";
        return $"<div class=\"nbk-fault-card\" style=\"border-left:4px solid #6a1b9a;padding:4px 10px;margin:4px 0;font-family:system-ui,sans-serif\">" +
               $"<b>{WebUtility.HtmlEncode(Fault.Name())}</b><div>the changed line in our loop, <code>{WebUtility.HtmlEncode(File)}</code>:</div>{Code(Ours)}" +
               $"<div>the same mistake in PyTorch / Hugging Face:</div>{Code(Theirs)}" +
               $"<div>the column that exposes it: <code>{WebUtility.HtmlEncode(Column)}</code> — {WebUtility.HtmlEncode(Reads)}</div>" +
               $"<div>log it in your own loop:</div>{Code(LogLine)}</div>";
    }

    /// <summary>The card as plain text, one labelled block after another.</summary>
    public override string ToString() =>
        $"{Fault.Name()}\nours ({File}):\n{Ours}\nPyTorch / HF:\n{Theirs}\ncolumn {Column}: {Reads}\nlog it:\n{LogLine}";
}

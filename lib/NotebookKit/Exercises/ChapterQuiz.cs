using System.Globalization;
using System.Text;

namespace NotebookKit.Exercises;

/// <summary>One multiple-choice question: the right choice, and for every wrong one why it is wrong.</summary>
/// <param name="Text">The question.</param>
/// <param name="Choices">The choices, shown as a), b), c), d).</param>
/// <param name="Right">The letter of the right choice.</param>
/// <param name="WhyWrong">For each wrong letter, what is wrong with it: many are the common wrong answers the course corrects.</param>
/// <param name="ProvedIn">The notebook and section whose run proves the right answer.</param>
public sealed record QuizQuestion(string Text, IReadOnlyList<string> Choices, char Right, IReadOnlyDictionary<char, string> WhyWrong, string ProvedIn);

/// <summary>
/// The chapter's questions, auto-graded: the quick test (can you trace one batch end to end?), check your
/// understanding, and the interview questions. The distractors are the common wrong answers (the interview's are
/// the chapter's own), and every wrong choice gets its own correction and the notebook section that proves the
/// right answer.
/// </summary>
public static class ChapterQuiz
{
    /// <summary>Five questions a learner should pass after the course.</summary>
    public static IReadOnlyList<QuizQuestion> QuickTest { get; } =
    [
        new("The running sentence is the tokens [Rollback, started, at, 14:, 18]. Which pair is one training example's input and target?",
            ["input [Rollback, started, at, 14:, 18], target the same five tokens",
             "input [Rollback, started, at, 14:], target [started, at, 14:, 18]",
             "input [Rollback, started, at], target [14:18] alone",
             "input [started, at, 14:, 18], target [Rollback, started, at, 14:]"],
            'b',
            new Dictionary<char, string>
            {
                ['a'] = "that is labels without the shift: every position's answer is its own input, the model learns to copy and the loss collapses toward zero",
                ['c'] = "every position is a target, not only the last: one window of T tokens gives T predictions, each from the tokens before it",
                ['d'] = "that is shifted the wrong way: each position would predict the token before it",
            },
            "01-shifted-tokens, 'The shift, from scratch' and 'Preview: forgetting the shift'"),
        new("In supervised fine-tuning on a prompt/response pair, which target tokens count in the loss?",
            ["the prompt's and the response's", "the prompt's only", "the response's only", "none: SFT uses a different objective from next-token loss"],
            'c',
            new Dictionary<char, string>
            {
                ['a'] = "counting the prompt trains the model to write the user's turns too; the prompt is context, masked with -100",
                ['b'] = "that is the inverted mask: training loss falls while the loss on responses stays where it started",
                ['d'] = "SFT is the same next-token loss; only the sequences change, and the prompt positions are masked",
            },
            "01-shifted-tokens, 'Fine-tuning: which positions count'; 09-silent-breakages-gallery, 'SftMaskInverted'"),
        new("With 8 microbatches accumulated per update, what does the learning-rate schedule count?",
            ["optimizer steps", "microbatches (each loss.backward())", "epochs", "nothing: it runs on its own clock"],
            'a',
            new Dictionary<char, string>
            {
                ['b'] = "a schedule counting microbatches runs 8x fast: warmup ends 8x too early and the decay reaches its floor 8x too early",
                ['c'] = "a per-epoch schedule moves a few times a run; warmup and cosine decay as written here are per optimizer step",
                ['d'] = "the schedule is a function of a counter, and that counter is the number of updates made",
            },
            "05-when-accumulation-goes-wrong, 'Trap 3: the scheduler stepped per microbatch'"),
        new("What must a checkpoint hold so that a resumed run continues exactly as if it had never stopped?",
            ["the model weights",
             "the weights and the optimizer state",
             "the seed and the step number",
             "weights, optimizer moments, scheduler position, random-number states, data position and step counters"],
            'd',
            new Dictionary<char, string>
            {
                ['a'] = "without AdamW's m and v the optimizer restarts from zero moments and the next updates differ",
                ['b'] = "without the scheduler position the learning rate restarts its warmup; without the RNG state and data position the batches repeat",
                ['c'] = "the seed is where the random numbers started, not where they are: the RNG state and the data position are what continue a run",
            },
            "08-checkpoint-and-exact-resume, '2N steps straight, or N + save + load + N' and 'Breaking the resume on purpose'"),
        new("The training loss spikes at step 900. What do you read first?",
            ["GPU utilisation around step 900",
             "the gradient norm, learning rate and skipped steps on the same step axis, in the steps before the spike",
             "the final validation loss",
             "nothing: rerun with another seed and see whether it happens again"],
            'b',
            new Dictionary<char, string>
            {
                ['a'] = "utilisation says the hardware was busy, not whether the update was right",
                ['c'] = "one number at the end cannot say when or why the loss jumped",
                ['d'] = "a rerun is a guess; the timeline already holds the cause (the gradient norm rises before the loss)",
            },
            "10-reading-the-timeline, 'Trouble: the learning rate is too high'"),
    ];

    /// <summary>Six questions that check the ideas behind the mechanics.</summary>
    public static IReadOnlyList<QuizQuestion> Understanding { get; } =
    [
        new("logits is (B, T, V) and input_ids is (B, T). Which PyTorch line is the next-token loss?",
            ["cross_entropy(logits[:, :-1], input_ids[:, 1:])",
             "cross_entropy(logits.reshape(-1, V), input_ids.reshape(-1))",
             "cross_entropy(logits[:, :-1].reshape(-1, V), input_ids[:, 1:].reshape(-1))",
             "cross_entropy(logits[:, 1:].reshape(-1, V), input_ids[:, :-1].reshape(-1))"],
            'c',
            new Dictionary<char, string>
            {
                ['a'] = "the shift is right but cross_entropy reads dimension 1 as the classes: (B, T-1, V) must be flattened to (B(T-1), V), or the call fails",
                ['b'] = "no shift: each position is scored on its own input token, the copy task",
                ['d'] = "shifted the wrong way: each position would be scored on the token before it",
            },
            "01-shifted-tokens, 'The shift, from scratch'; 03-one-batch-end-to-end, '3. The loss'"),
        new("Why can gradient accumulation change how the learning-rate scheduler behaves?",
            ["accumulated gradients are stale, so the scheduler must lag behind",
             "it cannot: accumulation is identical to a large batch in every way",
             "the learning rate must be divided by the accumulation factor",
             "a scheduler stepped with every backward call advances once per microbatch, accumulation times per update"],
            'd',
            new Dictionary<char, string>
            {
                ['a'] = "synchronous accumulation has no stale gradients: every microbatch of a step runs on the same weights",
                ['b'] = "the gradient can be identical, but the loop around it is not: scheduler, clipping and logging must move to once per update",
                ['c'] = "the loss is divided (by the step's target tokens), not the learning rate",
            },
            "05-when-accumulation-goes-wrong, 'Trap 3: the scheduler stepped per microbatch'"),
        new("Which graph shows exploding gradients before the run collapses?",
            ["the gradient norm, on the same step axis as the loss", "the training loss alone", "tokens per second", "the planned learning-rate schedule"],
            'a',
            new Dictionary<char, string>
            {
                ['b'] = "the loss moves after the gradients have already grown: it is the late signal",
                ['c'] = "throughput stays flat while the run diverges: speed says nothing about learning",
                ['d'] = "the schedule shows the rate you asked for, not how the model responded to it",
            },
            "10-reading-the-timeline, 'Trouble: the learning rate is too high'"),
        new("Why must engineers understand the raw loop even when they use a Trainer?",
            ["Trainer is slower than a raw loop",
             "the library trains the model; its arguments are all one needs to know",
             "Trainer runs the same five operations, and its silent failures (shift, masks, schedule, saved state) can only be debugged in those terms",
             "Trainer does not support gradient accumulation"],
            'c',
            new Dictionary<char, string>
            {
                ['a'] = "speed is not the point: wrappers cost little (nbk bench measures ours); what they hide is the point",
                ['b'] = "that is the wrong model: the library only orchestrates the same primitive loop, and its bugs are bugs in that loop",
                ['d'] = "Trainers support accumulation; they can still count its schedule or log its loss wrongly",
            },
            "03-one-batch-end-to-end, 'Exercise: write the step yourself'; 09-silent-breakages-gallery"),
        new("Why is the objective local even when the learned behaviour looks global?",
            ["each term of the loss is one position's next token given its prefix; broad structure is learned because it helps predict tokens",
             "the model is given a document-level label such as \"incident management\"",
             "the model only memorises the next word",
             "attention lets each position see the whole window, future included"],
            'a',
            new Dictionary<char, string>
            {
                ['b'] = "there is no label but the next token: incident language is learned from continuation pressure alone",
                ['c'] = "held-out text has sequences never seen in training, and the loss on it falls too: the model generalises, it does not only recall",
                ['d'] = "attention is causal: position t sees positions 0 to t and never the token it must predict",
            },
            "02-cross-entropy-is-surprise, 'Surprise at each position of the running sentence'; 00-start-here, 'The model writes text'"),
        new("A run is resumed with its weights and AdamW moments but without its scheduler position. What happens next?",
            ["nothing: the learning rate is recomputed from the config", "the learning rate restarts its warmup from step 0", "the same batches are trained on again", "AdamW's moments restart from zero"],
            'b',
            new Dictionary<char, string>
            {
                ['a'] = "it is recomputed, from position 0: the config has the schedule, the checkpoint must have where the run was on it",
                ['c'] = "repeated batches come from a lost data position and RNG state, not from the scheduler",
                ['d'] = "the moments were saved in this run; it is the learning rate that jumps",
            },
            "08-checkpoint-and-exact-resume, 'Breaking the resume on purpose'"),
    ];

    /// <summary>The chapter's six interview questions; each has the chapter's common wrong answer among its choices.</summary>
    public static IReadOnlyList<QuizQuestion> Interview { get; } =
    [
        new("What are the five operations in a minimal training loop?",
            ["call trainer.train()", "forward, backward, zero_grad, step, loss", "forward pass, loss, backward pass, optimizer step, gradient reset", "tokenize, forward, loss, step, save"],
            'c',
            new Dictionary<char, string>
            {
                ['a'] = "that names a wrapper, not the operations it runs: the common wrong answer",
                ['b'] = "the loss must exist before backward, and zero_grad between backward and step erases the gradient (notebook 06)",
                ['d'] = "without backward there is no gradient, and without the reset gradients pile up",
            },
            "03-one-batch-end-to-end, sections 1 to 6 and 'Exercise: write the step yourself'"),
        new("Why does SFT still use next-token loss?",
            ["SFT uses a completely different objective by default",
             "the examples change from raw text to instruction/response sequences; the local objective still predicts target tokens",
             "SFT is reinforcement learning from rewards",
             "it does not compute a loss on the responses"],
            'b',
            new Dictionary<char, string>
            {
                ['a'] = "the common wrong answer: it is the same cross-entropy, with the prompt positions masked",
                ['c'] = "preference methods (RLHF, DPO) compare responses; that is where next-token loss stops, not SFT",
                ['d'] = "the responses are exactly what it computes the loss on",
            },
            "01-shifted-tokens, 'Fine-tuning: which positions count'"),
        new("What is the risk of gradient accumulation?",
            ["it is exactly identical to a large batch in every way, so there is none",
             "its gradients are stale",
             "it needs more memory than the large batch",
             "it relieves memory but can confuse scheduler steps, logging, clipping and effective-batch assumptions"],
            'd',
            new Dictionary<char, string>
            {
                ['a'] = "the common wrong answer: the gradient can match, the loop around it often does not",
                ['b'] = "synchronous accumulation has no stale gradients: all microbatches of a step use the same weights",
                ['c'] = "it exists to need less: one microbatch's activations at a time",
            },
            "05-when-accumulation-goes-wrong, traps 1 to 5"),
        new("Why does next-token loss create broad capabilities instead of only autocomplete?",
            ["predicting text across diverse contexts forces the model to compress syntax, facts, procedures and structure that reduce surprise",
             "the model only memorises the next word",
             "capabilities come from fine-tuning, not from next-token training",
             "the tokenizer stores the knowledge"],
            'a',
            new Dictionary<char, string>
            {
                ['b'] = "the common wrong answer: memorising cannot lower the loss on held-out text, and it does fall",
                ['c'] = "fine-tuning shapes behaviour the pretrained model already has; the pretraining loss is next-token loss",
                ['d'] = "the tokenizer only maps text to ids: every model in this course uses a plain character tokenizer",
            },
            "00-start-here, 'A first training run' and 'The model writes text'"),
        new("Why is label shifting a high-severity bug?",
            ["it crashes at once, so it is easy to catch",
             "shape-compatible tensors mean the objective is correct, so it cannot happen",
             "misaligned targets train the wrong prediction problem while the code still runs and logs a loss",
             "it only matters in SFT"],
            'c',
            new Dictionary<char, string>
            {
                ['a'] = "it never crashes: inputs and targets have the same shape either way",
                ['b'] = "the common wrong answer: the unshifted labels have exactly the right shape",
                ['d'] = "pretraining uses the same shift; without it the model learns to copy in any setting",
            },
            "01-shifted-tokens, 'Preview: forgetting the shift'; 09-silent-breakages-gallery, 'LabelsNotShifted'"),
        new("What does a training abstraction have to preserve?",
            ["any wrapper that runs is equivalent",
             "the forward/loss/backward/step/reset contract, correct masks, scheduler semantics, checkpoint state and distributed data uniqueness",
             "only the final loss value",
             "only the optimizer's hyperparameters"],
            'b',
            new Dictionary<char, string>
            {
                ['a'] = "the common wrong answer: every broken loop in notebook 09 runs",
                ['c'] = "the loss can look fine while the schedule, the masks or the resumed state are wrong",
                ['d'] = "the same hyperparameters in a loop that zeroes at the wrong moment still never learn",
            },
            "09-silent-breakages-gallery; 11-the-loop-from-memory, 'Write the whole step from memory'"),
    ];

    /// <summary>The questions of a section as text: numbered, each choice lettered.</summary>
    public static string Show(IReadOnlyList<QuizQuestion> questions)
    {
        var text = new StringBuilder();
        for (var i = 0; i < questions.Count; i++)
        {
            text.Append(CultureInfo.InvariantCulture, $"{i + 1}. {questions[i].Text}\n");
            for (var c = 0; c < questions[i].Choices.Count; c++) text.Append(CultureInfo.InvariantCulture, $"   {(char)('a' + c)}) {questions[i].Choices[c]}\n");
        }
        return text.ToString().TrimEnd();
    }

    /// <summary>
    /// Grades one letter per question. Every wrong answer gets its own correction and the section that proves the
    /// right one; the right letters are never given away.
    /// </summary>
    /// <param name="name">The exercise's name in the feedback, e.g. "Quick test".</param>
    /// <param name="questions">The section: <see cref="QuickTest"/>, <see cref="Understanding"/> or <see cref="Interview"/>.</param>
    /// <param name="answers">A letter (a to d) per question, in order; null for one not answered yet.</param>
    public static Feedback Check(string name, IReadOnlyList<QuizQuestion> questions, IReadOnlyList<char?>? answers)
    {
        if (answers is null || answers.All(a => a is null))
            return Feedback.NotAnswered(name, $"give a letter for each of the {questions.Count} questions.");
        if (answers.Count != questions.Count)
            return Feedback.Fail(name, $"{answers.Count} answers for {questions.Count} questions: give exactly one letter per question, in order.");
        var open = answers.Select((a, i) => (a, i)).Where(p => p.a is null).Select(p => p.i + 1).ToArray();
        if (open.Length > 0)
            return Feedback.NotAnswered(name, $"question{(open.Length > 1 ? "s" : "")} {string.Join(", ", open)} still without a letter.");
        var problems = new List<string>();
        for (var i = 0; i < questions.Count; i++)
        {
            var letter = char.ToLowerInvariant(answers[i]!.Value);
            var q = questions[i];
            if (letter < 'a' || letter >= 'a' + q.Choices.Count)
                problems.Add($"{i + 1}: '{answers[i]}' is not one of the letters a to {(char)('a' + q.Choices.Count - 1)}");
            else if (letter != q.Right)
                problems.Add($"{i + 1} ({letter}): {q.WhyWrong[letter]}. See {q.ProvedIn}");
        }
        if (problems.Count == 0)
            return Feedback.Pass(name, $"all {questions.Count} right.");
        return Feedback.Fail(name, $"{questions.Count - problems.Count} of {questions.Count} right. " + string.Join(" | ", problems) + ".");
    }
}

using NotebookKit.Exercises;

namespace NotebookKit.Tests.Exercises;

public class PredictTheColumnTests
{
    /// <summary>The reference answer, written out: which column alone tells each fault from a healthy run.</summary>
    static Dictionary<string, string> Reference() => new()
    {
        ["labels-not-shifted"] = "loss",
        ["sft-mask-inverted"] = "val_loss",
        ["scheduler-per-microbatch"] = "lr",
        ["eval-in-train-mode"] = "val_loss_repeat",
        ["gradients-never-zeroed"] = "stale_grad_norm",
        ["zero-grad-before-step"] = "grad_norm_at_step",
        ["accumulation-not-divided"] = "token_mean_loss",
        ["mean-of-microbatch-means"] = "token_mean_loss",
        ["uncounted-skips"] = "optimizer_step",
        ["resume-without-scheduler"] = "lr",
        ["resume-without-rng-state"] = "batch_fingerprint",
        ["repeated-shards"] = "rank_overlap",
    };

    static Dictionary<string, string> With(params (string Fault, string Column)[] changes)
    {
        var answer = Reference();
        foreach (var (fault, column) in changes) answer[fault] = column;
        return answer;
    }

    [Fact]
    public void The_reference_passes_and_other_spellings_of_a_column_or_fault_too()
    {
        var feedback = new PredictTheColumnExercise().Check(Reference());
        Assert.True(feedback.Passed, feedback.Message);
        Assert.Contains("all 12 right", feedback.Message);
        var spelled = With(("zero-grad-before-step", "GradNormAtStep"), ("scheduler-per-microbatch", "learning rate"), ("repeated-shards", " Rank overlap "));
        spelled.Remove("eval-in-train-mode");
        spelled["EvalInTrainMode"] = "val-loss-repeat";
        Assert.True(new PredictTheColumnExercise().Check(spelled).Passed);
    }

    [Fact]
    public void The_starter_is_not_answered_and_lists_the_columns()
    {
        var starter = Reference().ToDictionary(p => p.Key, _ => "");
        var feedback = new PredictTheColumnExercise().Check(starter);
        Assert.False(feedback.Passed);
        Assert.StartsWith("Not answered yet", feedback.Message);
        Assert.Contains("stale_grad_norm", feedback.Message);
        Assert.StartsWith("Not answered yet", new PredictTheColumnExercise().Check(null).Message);
    }

    [Theory]
    [InlineData("zero-grad-before-step", "grad_norm", "not grad_norm: it is measured right after backward, before zero_grad runs, so it looks normal")]
    [InlineData("zero-grad-before-step", "loss", "a flat loss also comes from a learning rate of 0")]
    [InlineData("labels-not-shifted", "val_loss", "also what overfitting looks like")]
    [InlineData("uncounted-skips", "skipped", "that is the column the fault leaves at 0")]
    [InlineData("uncounted-skips", "loss_scale", "a healthy fp16 run halves its loss scale at every overflow too")]
    [InlineData("gradients-never-zeroed", "grad_norm", "a learning rate that is too high makes it climb too")]
    [InlineData("eval-in-train-mode", "val_loss", "one evaluation cannot show that evaluating is random")]
    [InlineData("repeated-shards", "batch_fingerprint", "no step repeats an earlier one here")]
    [InlineData("sft-mask-inverted", "loss", "it is learning to write prompts")]
    [InlineData("resume-without-rng-state", "tokens_per_s", "not tokens_per_s: tokens_per_s records throughput: tokens per second of wall time, which does not single out resume-without-rng-state")]
    [InlineData("zero-grad-before-step", "grad_norm, grad_norm_at_step", "names more than one column")]
    [InlineData("zero-grad-before-step", "grad norm and loss", "names more than one column")]
    [InlineData("zero-grad-before-step", "the gradient", "'the gradient' is not a timeline column; use one of step, tokens, loss")]
    public void A_plausible_wrong_column_gets_its_own_correction(string fault, string column, string expected)
    {
        var feedback = new PredictTheColumnExercise().Check(With((fault, column)));
        Assert.False(feedback.Passed);
        Assert.StartsWith("11 of 12 right.", feedback.Message);
        Assert.Contains(expected, feedback.Message);
        Assert.DoesNotContain("Hint", feedback.Message);
    }

    [Fact]
    public void Unknown_faults_duplicates_and_open_ones_are_named()
    {
        var answer = With(("zero-grad", "loss"));
        answer.Remove("repeated-shards");
        answer["ZeroGradBeforeStep"] = "grad_norm_at_step";
        var feedback = new PredictTheColumnExercise().Check(answer);
        Assert.False(feedback.Passed);
        Assert.Contains("'zero-grad' is not a fault", feedback.Message);
        Assert.Contains("zero-grad-before-step is predicted twice ('ZeroGradBeforeStep')", feedback.Message);
        Assert.Contains("Not predicted yet: repeated-shards.", feedback.Message);
    }

    [Fact]
    public void Hints_come_in_tiers_and_never_name_the_column()
    {
        var exercise = new PredictTheColumnExercise();
        var wrong = With(("zero-grad-before-step", "grad_norm"), ("resume-without-rng-state", "loss"));
        var first = exercise.Check(wrong).Message;
        Assert.DoesNotContain("Hint", first);
        var second = exercise.Check(wrong).Message;
        Assert.Contains("Hint: zero-grad-before-step: the gradients are cleared before the optimizer uses them; which column would record that?", second);
        Assert.Contains("resume-without-rng-state: the data starts over at the resume", second);
        var third = exercise.Check(wrong).Message;
        Assert.Contains("zero-grad-before-step: look for the column that records the gradient norm the optimizer saw when it stepped.", third);
        Assert.Contains("resume-without-rng-state: look for the column that records a hash of the items the step trained on", third);
        foreach (var message in new[] { first, second, third })
        {
            Assert.DoesNotContain("grad_norm_at_step", message);
            Assert.DoesNotContain("batch_fingerprint", message);
        }
        Assert.Equal(3, exercise.WrongChecks);
        Assert.True(exercise.Check(Reference()).Passed);
    }
}

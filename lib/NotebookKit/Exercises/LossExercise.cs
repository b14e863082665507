namespace NotebookKit.Exercises;

/// <summary>Exercise: compute the loss (surprise, -ln p) for given probabilities of the correct token.</summary>
public static class LossExercise
{
    const string Name = "Loss from probabilities";
    const double Tolerance = 0.005;

    /// <summary>Checks <paramref name="answers"/>[i] against -ln <paramref name="probabilities"/>[i] within 0.005 nats.</summary>
    public static Feedback Check(IReadOnlyList<double> probabilities, IReadOnlyList<double>? answers)
    {
        if (answers is null || answers.Count == 0 || answers.All(a => a == 0))
            return Feedback.NotAnswered(Name, "compute one loss per probability: the loss is -ln p of the correct token, in nats.");
        if (answers.Count != probabilities.Count)
            return Feedback.Fail(Name, $"you gave {answers.Count} losses for {probabilities.Count} probabilities: one loss per probability.");
        for (var i = 0; i < probabilities.Count; i++)
        {
            var p = probabilities[i];
            var a = answers[i];
            if (Math.Abs(a - -Math.Log(p)) <= Tolerance) continue;
            var where = $"for p = {p}";
            if (Math.Abs(a - Math.Log(p)) <= Tolerance)
                return Feedback.Fail(Name, $"{where} you wrote {a:F3}: that is ln p, which is negative. Surprise is -ln p, always >= 0.");
            if (Math.Abs(a + Math.Log10(p)) <= Tolerance)
                return Feedback.Fail(Name, $"{where} you wrote {a:F3}: that is -log10 p. Cross-entropy uses the natural log: -ln p = {-Math.Log(p):F3} nats.");
            if (Math.Abs(a + Math.Log2(p)) <= Tolerance)
                return Feedback.Fail(Name, $"{where} you wrote {a:F3}: that is -log2 p, in bits. The library reports nats: -ln p = {-Math.Log(p):F3}.");
            if (Math.Abs(a - (1 - p)) <= Tolerance)
                return Feedback.Fail(Name, $"{where} you wrote 1 - p. The loss is not linear in p: it is -ln p, which grows without bound as p falls to 0.");
            return Feedback.Fail(Name, $"{where} you wrote {a:F3}; -ln p is {-Math.Log(p):F3}. Take the natural log of the probability of the correct token and flip its sign.");
        }
        return Feedback.Pass(Name, $"every loss is -ln p: the rarer you thought the right token was, the bigger the surprise (p = {probabilities.Min()} costs {-Math.Log(probabilities.Min()):F2} nats).");
    }
}

namespace NotebookKit.Exercises;

/// <summary>The five operations of a training step, as the exercises name them.</summary>
public enum StepOperation
{
    /// <summary>Run the model on the inputs to get logits.</summary>
    Forward,
    /// <summary>Compare logits with targets: cross-entropy.</summary>
    Loss,
    /// <summary>Backpropagate: fill .grad of every parameter.</summary>
    Backward,
    /// <summary>The optimizer updates the weights from .grad.</summary>
    Step,
    /// <summary>Clear .grad for the next step.</summary>
    ZeroGrad,
}

/// <summary>Exercises: put the operations of a step in order, and say where gradients exist.</summary>
public static class StepOrderExercise
{
    const string OrderName = "Order the step";
    const string BeltName = "Where gradients exist";

    /// <summary>
    /// Checks an ordering of the five operations. Two orders are right: zero_grad last (as the
    /// library does) or first; what matters is forward, loss, backward, step in that order with
    /// zero_grad never between backward and step.
    /// </summary>
    public static Feedback CheckOrder(IReadOnlyList<StepOperation>? order)
    {
        if (order is null || order.Count == 0)
            return Feedback.NotAnswered(OrderName, "list the five operations in the order a step runs them.");
        var missing = Enum.GetValues<StepOperation>().Except(order).ToArray();
        if (missing.Length > 0 || order.Count != 5)
            return Feedback.Fail(OrderName, $"use each of the five operations exactly once{(missing.Length > 0 ? $"; missing: {string.Join(", ", missing)}" : "")}.");
        int At(StepOperation op) => order.ToList().IndexOf(op);
        if (At(StepOperation.ZeroGrad) > At(StepOperation.Backward) && At(StepOperation.ZeroGrad) < At(StepOperation.Step))
            return Feedback.Fail(OrderName, "zero_grad sits between backward and step: the optimizer sees zero gradients, the code runs and the loss never falls. This is the zero_grad ordering bug.");
        if (At(StepOperation.Step) < At(StepOperation.Backward))
            return Feedback.Fail(OrderName, "step comes before backward: the optimizer would use the previous step's gradients (or none at all on the first step).");
        if (At(StepOperation.Loss) < At(StepOperation.Forward))
            return Feedback.Fail(OrderName, "the loss needs the logits, so forward comes before loss.");
        if (At(StepOperation.Backward) < At(StepOperation.Loss))
            return Feedback.Fail(OrderName, "backward differentiates the loss, so it must come after the loss is computed.");
        return Feedback.Pass(OrderName, $"{string.Join(" -> ", order)}: gradients are made by backward, used by step, and cleared before the next backward.");
    }

    /// <summary>Checks the learner's yes/no for whether parameters hold gradients after each operation of a step that starts with clean gradients.</summary>
    public static Feedback CheckGradientsExist(bool? afterForward, bool? afterBackward, bool? afterStep, bool? afterZeroGrad)
    {
        if (afterForward is null || afterBackward is null || afterStep is null || afterZeroGrad is null)
            return Feedback.NotAnswered(BeltName, "answer true or false for each of the four moments.");
        if (afterForward == true)
            return Feedback.Fail(BeltName, "after forward there are activations and a graph, but no gradients yet: only backward writes .grad.");
        if (afterBackward == false)
            return Feedback.Fail(BeltName, "backward is exactly what fills .grad of every parameter.");
        if (afterStep == false)
            return Feedback.Fail(BeltName, "the optimizer reads .grad but does not clear it: after step the gradients are still there, which is why zero_grad exists.");
        if (afterZeroGrad == true)
            return Feedback.Fail(BeltName, "zero_grad clears the gradients (TorchSharp 0.107 fills them with zeros), so the next backward starts from nothing.");
        return Feedback.Pass(BeltName, "gradients exist from backward until zero_grad: made by backward, used (not consumed) by step, cleared by zero_grad.");
    }
}

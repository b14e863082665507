using NotebookKit.Training;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace NotebookKit.Exercises;

/// <summary>What a learner's step called on the optimizer or the scheduler, and what .grad held at that moment.</summary>
/// <param name="Call">"step", "zero_grad" or "scheduler.step".</param>
/// <param name="GradNorm">Global norm of every parameter's .grad just before the call (0 when none holds one).</param>
/// <param name="LearningRate">The optimizer's learning rate just before the call.</param>
public sealed record OptimizerCall(string Call, double GradNorm, double LearningRate);

/// <summary>
/// The optimizer a learner's step receives: the library's own AdamW (the same parameter groups, the same
/// hyperparameters as <see cref="Trainer"/>'s), called with TorchSharp's names, <c>step()</c> and
/// <c>zero_grad()</c>. It records each call with the gradient norm it found, so the checker can say what the
/// optimizer saw without reading the learner's code.
/// </summary>
public sealed class WatchedOptimizer
{
    readonly AdamW _optimizer;
    readonly IReadOnlyList<TorchSharp.Modules.Parameter> _parameters;
    readonly List<OptimizerCall> _calls = [];

    internal WatchedOptimizer(AdamW optimizer, IEnumerable<TorchSharp.Modules.Parameter> parameters)
    {
        _optimizer = optimizer;
        _parameters = parameters.ToArray();
    }

    /// <summary>AdamW's update from what .grad holds now: TorchSharp's <c>optimizer.step()</c>.</summary>
    public void step()
    {
        Record("step");
        _optimizer.step();
    }

    /// <summary>Clears every parameter's .grad: TorchSharp's <c>optimizer.zero_grad()</c>.</summary>
    public void zero_grad()
    {
        Record("zero_grad");
        _optimizer.zero_grad();
    }

    /// <summary>The learning rate the next <see cref="step"/> will use.</summary>
    public double LearningRate => _optimizer.ParamGroups.First().LearningRate;

    internal void SetLearningRate(double lr)
    {
        foreach (var group in _optimizer.ParamGroups) group.LearningRate = lr;
    }

    internal void Record(string call) => _calls.Add(new OptimizerCall(call, GradNorm(), LearningRate));

    /// <summary>The calls recorded since the last time this was asked, oldest first.</summary>
    internal IReadOnlyList<OptimizerCall> TakeCalls()
    {
        var calls = _calls.ToArray();
        _calls.Clear();
        return calls;
    }

    /// <summary>Global norm of the gradients the parameters hold now, in float64; 0 when none holds one.</summary>
    internal double GradNorm()
    {
        using var scope = NewDisposeScope();
        var squares = _parameters.Select(p => p.grad).OfType<Tensor>().Select(g => g.detach().to(ScalarType.Float64)).Select(g => g.mul(g).sum().item<double>());
        return Math.Sqrt(squares.Sum());
    }
}

/// <summary>
/// The learning-rate schedule a learner's step with accumulation receives: TorchSharp's <c>scheduler.step()</c>
/// moves it one optimizer step along <see cref="TrainConfig.Schedule"/> and sets the optimizer's rate, as
/// <see cref="Trainer"/> does after each update. It starts at the schedule's first value.
/// </summary>
public sealed class WatchedScheduler
{
    readonly WatchedOptimizer _optimizer;
    readonly LearningRate _schedule;
    long _position;

    internal WatchedScheduler(WatchedOptimizer optimizer, LearningRate schedule)
    {
        _optimizer = optimizer;
        _schedule = schedule;
        optimizer.SetLearningRate(schedule.At(0));
    }

    /// <summary>Advances the schedule by one optimizer step: call it once per update, after <c>optimizer.step()</c>.</summary>
    public void step()
    {
        _optimizer.Record("scheduler.step");
        _optimizer.SetLearningRate(_schedule.At(++_position));
    }
}

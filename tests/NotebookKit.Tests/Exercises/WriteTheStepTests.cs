using NotebookKit.Data;
using NotebookKit.Exercises;
using NotebookKit.Model;
using NotebookKit.Training;
using Xunit.Abstractions;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace NotebookKit.Tests.Exercises;

/// <summary>
/// The step checker against the loops a learner writes: the reference passes bit for bit, and every broken
/// loop the course teaches is named. The broken loops are written the way a learner would write them.
/// </summary>
public class WriteTheStepTests(ITestOutputHelper output)
{
    static Tensor Loss(TinyGpt model, Tensor x, Tensor y)
    {
        var logits = model.call(x);                                                                    // (B, T, V)
        return F.cross_entropy(logits.view(-1, logits.shape[2]), y.view(-1));                          // ()
    }

    static readonly LearnerStep Reference = (model, optimizer, x, y) =>
    {
        var loss = Loss(model, x, y);
        loss.backward();
        optimizer.step();
        optimizer.zero_grad();
        return loss;
    };

    [Fact]
    public void The_reference_step_agrees_bit_for_bit()
    {
        var feedback = WriteTheStepExercise.Check(Reference);
        output.WriteLine(feedback.Message);
        Assert.True(feedback.Passed, feedback.Message);
        Assert.StartsWith("bit for bit", feedback.Message);
    }

    [Fact]
    public void Zeroing_first_in_the_step_is_also_the_library_step()
    {
        var feedback = WriteTheStepExercise.Check((model, optimizer, x, y) =>
        {
            optimizer.zero_grad();
            var loss = Loss(model, x, y);
            loss.backward();
            optimizer.step();
            return loss;
        });
        output.WriteLine(feedback.Message);
        Assert.True(feedback.Passed, feedback.Message);
        Assert.StartsWith("bit for bit", feedback.Message);
    }

    [Fact]
    public void A_loss_written_by_hand_agrees_to_float_rounding_and_says_so()
    {
        var feedback = WriteTheStepExercise.Check((model, optimizer, x, y) =>
        {
            var logits = model.call(x);                                                                // (B, T, V)
            var loss = -F.log_softmax(logits, 2).gather(2, y.unsqueeze(2)).mean();                    // ()
            loss.backward();
            optimizer.step();
            optimizer.zero_grad();
            return loss;
        });
        output.WriteLine(feedback.Message);
        Assert.True(feedback.Passed, feedback.Message);
        Assert.StartsWith("equal to float rounding, not to the bit", feedback.Message);
    }

    [Fact]
    public void Unwritten_steps_are_not_answered()
    {
        Assert.StartsWith("Not answered yet", WriteTheStepExercise.Check(null).Message);
        Assert.StartsWith("Not answered yet", WriteTheStepExercise.Check((_, _, _, _) => throw new NotImplementedException()).Message);
        Assert.StartsWith("Not answered yet", WriteTheStepExercise.CheckAccumulated(null).Message);
    }

    public static TheoryData<string, string[]> BrokenSteps => new()
    {
        { "zero_grad between backward and step", ["runs zero_grad between backward and step", "zero gradient at all 5 steps", "zero-grad-before-step:"] },
        { "never zeroing", ["never clears the gradients", "gradients-never-zeroed:"] },
        { "unshifted labels", ["compares the logits with the inputs x, not the targets y"] },
        { "step before backward", ["calls optimizer.step() between the forward and loss.backward(): at step 1"] },
        { "step first", ["calls optimizer.step() before loss.backward()", "zero gradient at all 5 steps"] },
        { "no backward", ["zero gradient at all 5 steps", "loss.backward() is missing"] },
        { "no step", ["never calls optimizer.step()", "did not move in 5 steps"] },
        { "returns the logits", ["returned a tensor of shape [4, 16, "] },
        { "gradient doubled", ["your step parts from the library's at step 1", "gradient norm at the update"] },
    };

    [Theory]
    [MemberData(nameof(BrokenSteps))]
    public void Each_broken_step_is_named(string bug, string[] says)
    {
        LearnerStep step = bug switch
        {
            "zero_grad between backward and step" => (model, optimizer, x, y) =>
            {
                var loss = Loss(model, x, y);
                loss.backward();
                optimizer.zero_grad();
                optimizer.step();
                return loss;
            },
            "never zeroing" => (model, optimizer, x, y) =>
            {
                var loss = Loss(model, x, y);
                loss.backward();
                optimizer.step();
                return loss;
            },
            "unshifted labels" => (model, optimizer, x, y) =>
            {
                var loss = Loss(model, x, x);
                loss.backward();
                optimizer.step();
                optimizer.zero_grad();
                return loss;
            },
            "step before backward" => (model, optimizer, x, y) =>
            {
                var loss = Loss(model, x, y);
                optimizer.step();
                loss.backward();
                optimizer.zero_grad();
                return loss;
            },
            "step first" => (model, optimizer, x, y) =>
            {
                optimizer.step();
                var loss = Loss(model, x, y);
                loss.backward();
                optimizer.zero_grad();
                return loss;
            },
            "no backward" => (model, optimizer, x, y) =>
            {
                var loss = Loss(model, x, y);
                optimizer.step();
                optimizer.zero_grad();
                return loss;
            },
            "no step" => (model, optimizer, x, y) =>
            {
                var loss = Loss(model, x, y);
                loss.backward();
                optimizer.zero_grad();
                return loss;
            },
            "returns the logits" => (model, optimizer, x, y) =>
            {
                var logits = model.call(x);
                F.cross_entropy(logits.view(-1, logits.shape[2]), y.view(-1)).backward();
                optimizer.step();
                optimizer.zero_grad();
                return logits;
            },
            "gradient doubled" => (model, optimizer, x, y) =>
            {
                var loss = Loss(model, x, y);
                (2 * loss).backward();
                optimizer.step();
                optimizer.zero_grad();
                return loss;
            },
            _ => throw new ArgumentException(bug),
        };
        var feedback = WriteTheStepExercise.Check(step);
        output.WriteLine(feedback.Message);
        Assert.False(feedback.Passed, feedback.Message);
        foreach (var text in says) Assert.Contains(text, feedback.Message);
    }

    [Fact]
    public void An_exception_in_the_step_is_reported_with_its_step()
    {
        var feedback = WriteTheStepExercise.Check((model, optimizer, x, y) => Loss(model, x, y.narrow(1, 0, 3)));
        Assert.False(feedback.Passed);
        Assert.StartsWith("your step threw at step 1:", feedback.Message);
    }

    // Accumulation: each microbatch's mean divided by the count, as build-nanogpt writes it.
    static Tensor Accumulated(TinyGpt model, WatchedOptimizer optimizer, WatchedScheduler scheduler, IReadOnlyList<Batch> microbatches,
        int divideBy = 0, bool zeroInLoop = false, bool stepInLoop = false, bool schedulerInLoop = false, bool schedulerFirst = false,
        bool noScheduler = false, bool returnLast = false, bool zero = true)
    {
        var total = 0.0;
        Tensor last = null!;
        foreach (var (x, y) in microbatches)
        {
            if (zeroInLoop) optimizer.zero_grad();
            var loss = Loss(model, x, y) / (divideBy == 0 ? microbatches.Count : divideBy);
            loss.backward();
            if (stepInLoop) optimizer.step();
            if (schedulerInLoop) scheduler.step();
            total += loss.item<float>();
            last = loss.detach();
        }
        if (schedulerFirst) scheduler.step();
        if (!stepInLoop) optimizer.step();
        if (!(schedulerInLoop || schedulerFirst || noScheduler)) scheduler.step();
        if (zero) optimizer.zero_grad();
        return returnLast ? last : tensor(total);
    }

    [Fact]
    public void The_reference_accumulated_step_agrees()
    {
        var feedback = WriteTheStepExercise.CheckAccumulated((m, o, s, b) => Accumulated(m, o, s, b));
        output.WriteLine(feedback.Message);
        Assert.True(feedback.Passed, feedback.Message);
    }

    [Fact]
    public void Normalising_like_the_library_agrees_bit_for_bit()
    {
        var feedback = WriteTheStepExercise.CheckAccumulated((model, optimizer, scheduler, microbatches) =>
        {
            var tokens = microbatches.Sum(b => b.CountedTokens());
            var total = zeros(1, dtype: float64);
            foreach (var (x, y) in microbatches)
            {
                var logits = model.call(x);
                var loss = StepLoss.Sum(logits, y) / tokens;
                loss.backward();
                total.add_(loss.detach());
            }
            optimizer.step();
            scheduler.step();
            optimizer.zero_grad();
            return total;
        });
        output.WriteLine(feedback.Message);
        Assert.True(feedback.Passed, feedback.Message);
        Assert.StartsWith("bit for bit", feedback.Message);
    }

    public static TheoryData<string, string[]> BrokenAccumulatedSteps => new()
    {
        { "not divided", ["without dividing by the 4 microbatches", "4.00x the library's", "accumulation-not-divided:"] },
        { "scheduler per microbatch", ["scheduler.step() 4 times per step, once per microbatch", "the library's at step 5, so warmup ended 4x too early", "scheduler-per-microbatch:"] },
        { "scheduler before step", ["scheduler.step() before optimizer.step()"] },
        { "no scheduler", ["never calls scheduler.step()"] },
        { "step per microbatch", ["optimizer.step() 4 times, once per microbatch"] },
        { "zero_grad before each forward", ["zero_grad inside the microbatch loop, before each forward", "only the last microbatch's gradient"] },
        { "zero_grad after each backward", ["zero_grad inside the microbatch loop, after each backward", "zero gradient at all 5 steps"] },
        { "last microbatch's loss", ["returns only the last microbatch's share"] },
        { "never zeroing", ["never clears the gradients"] },
    };

    [Theory]
    [MemberData(nameof(BrokenAccumulatedSteps))]
    public void Each_broken_accumulated_step_is_named(string bug, string[] says)
    {
        LearnerAccumulatedStep step = bug switch
        {
            "not divided" => (m, o, s, b) => Accumulated(m, o, s, b, divideBy: 1),
            "scheduler per microbatch" => (m, o, s, b) => Accumulated(m, o, s, b, schedulerInLoop: true),
            "scheduler before step" => (m, o, s, b) => Accumulated(m, o, s, b, schedulerFirst: true),
            "no scheduler" => (m, o, s, b) => Accumulated(m, o, s, b, noScheduler: true),
            "step per microbatch" => (m, o, s, b) => Accumulated(m, o, s, b, stepInLoop: true),
            "zero_grad before each forward" => (m, o, s, b) => Accumulated(m, o, s, b, zeroInLoop: true),
            "zero_grad after each backward" => (model, optimizer, scheduler, microbatches) =>
            {
                var total = 0.0;
                foreach (var (x, y) in microbatches)
                {
                    var loss = Loss(model, x, y) / microbatches.Count;
                    loss.backward();
                    optimizer.zero_grad();
                    total += loss.item<float>();
                }
                optimizer.step();
                scheduler.step();
                return tensor(total);
            },
            "last microbatch's loss" => (m, o, s, b) => Accumulated(m, o, s, b, returnLast: true),
            "never zeroing" => (m, o, s, b) => Accumulated(m, o, s, b, zero: false),
            _ => throw new ArgumentException(bug),
        };
        var feedback = WriteTheStepExercise.CheckAccumulated(step);
        output.WriteLine(feedback.Message);
        Assert.False(feedback.Passed, feedback.Message);
        foreach (var text in says) Assert.Contains(text, feedback.Message);
    }
}

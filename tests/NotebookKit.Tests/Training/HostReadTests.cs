using Mono.Cecil;
using Mono.Cecil.Cil;
using NotebookKit.Data;
using NotebookKit.Precision;
using NotebookKit.Runtime;
using NotebookKit.Text;
using NotebookKit.Text.OpsLog;
using NotebookKit.Training;
using static TorchSharp.torch;

namespace NotebookKit.Tests.Training;

/// <summary>
/// On a GPU every read of a tensor's values waits for the device to finish all queued work. The healthy step reads once;
/// every read in the training path goes through <see cref="HostRead"/>, which counts them.
/// </summary>
public class HostReadTests
{
    static long ReadsOf(Action action)
    {
        var before = HostRead.Count;
        action();
        return HostRead.Count - before;
    }

    [Theory]
    [InlineData(PrecisionMode.Fp32, 1)]
    [InlineData(PrecisionMode.Bf16Mixed, 1)]
    [InlineData(PrecisionMode.Fp16Mixed, 2)] // the overflow check must be read before the optimizer may step
    public void A_healthy_step_without_evaluation_reads_from_the_device_once(PrecisionMode precision, int reads)
    {
        // Accumulation and two ranks: more microbatches must not mean more reads. Dropout: the doctor's repeated evaluation is on.
        var config = TinyRun.Config with { Accumulation = 3, Ranks = 2, EvalEvery = 1000, Precision = precision };
        using var trainer = new Trainer(TinyRun.Model(dropout: 0.1), config, TinyRun.Data(), CPU);
        Assert.Equal(reads, ReadsOf(() => trainer.Step()));
        Assert.Equal(reads, ReadsOf(() => trainer.Step()));
    }

    [Fact]
    public void A_prompt_response_step_reads_once_though_its_microbatches_hold_different_token_counts()
    {
        var pairs = OpsLogCorpus.Sft();
        var tokenizer = CharTokenizer.FromText(string.Concat(pairs.Select(p => p.Prompt + p.Response)));
        var model = TinyRun.Model() with { VocabSize = tokenizer.VocabSize, BlockSize = 64 };
        using var trainer = new Trainer(model, TinyRun.Config with { Accumulation = 4, BatchSize = 2, EvalEvery = 1000 }, SftSplit.Of(pairs), tokenizer.Encode, CPU);
        Assert.Equal(1, ReadsOf(() => trainer.Step()));
    }

    [Fact]
    public void An_evaluation_reads_once_and_the_doctor_repeats_it_only_when_dropout_makes_it_worth_checking()
    {
        var config = TinyRun.Config with { EvalEvery = 1 };
        using (var plain = new Trainer(TinyRun.Model(), config, TinyRun.Data(), CPU))
        {
            long reads = 0;
            var record = plain.Step();
            reads = ReadsOf(() => record = plain.Step());
            Assert.Equal(2, reads);  // the step's own read and one for the evaluation
            Assert.NotNull(record.ValLoss);
            Assert.Null(record.ValLossRepeat);
        }
        using var withDropout = new Trainer(TinyRun.Model(dropout: 0.1), config, TinyRun.Data(), CPU);
        var repeated = withDropout.Step();
        Assert.Equal(3, ReadsOf(() => repeated = withDropout.Step()));
        Assert.Equal(repeated.ValLoss, repeated.ValLossRepeat);
    }

    /// <summary>A nested type's (a lambda's closure, an iterator) namespace is its outermost declaring type's.</summary>
    static string NamespaceOf(TypeDefinition type) => type.DeclaringType is { } outer ? NamespaceOf(outer) : type.Namespace;

    /// <summary>Methods that copy tensor values to the host; only <see cref="HostRead"/> may call them in the training path.</summary>
    static readonly string[] Reads = ["item", "cpu", "data", "ToSingle", "ToDouble", "ToInt64", "ToInt32", "ToBoolean", "ToScalar", "clip_grad_norm_", "tolist"];

    [Fact]
    public void In_data_precision_and_training_only_HostRead_reads_tensors_back()
    {
        using var assembly = AssemblyDefinition.ReadAssembly(typeof(Trainer).Assembly.Location);
        var layers = new[] { "NotebookKit.Data", "NotebookKit.Precision", "NotebookKit.Training" };
        var offenders = assembly.MainModule.GetTypes()
            .Where(t => layers.Contains(NamespaceOf(t)))
            .SelectMany(t => t.Methods)
            .Where(m => m.HasBody)
            .SelectMany(m => m.Body.Instructions
                .Where(i => i.OpCode == OpCodes.Call || i.OpCode == OpCodes.Callvirt)
                .Select(i => (Method: m, Called: (MethodReference)i.Operand)))
            .Where(c => c.Called.DeclaringType.FullName.StartsWith("TorchSharp", StringComparison.Ordinal) && Reads.Contains(c.Called.Name))
            .Select(c => $"{c.Method.DeclaringType.Name}.{c.Method.Name} calls {c.Called.DeclaringType.Name}.{c.Called.Name}")
            .Distinct()
            .ToArray();
        Assert.True(offenders.Length == 0, "read through HostRead instead: " + string.Join("; ", offenders));
    }
}

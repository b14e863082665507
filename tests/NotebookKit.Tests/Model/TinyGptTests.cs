using NotebookKit.Model;
using NotebookKit.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace NotebookKit.Tests.Model;

public class TinyGptTests
{
    [Fact]
    public void Parameter_count_matches_the_modules_and_the_head_is_tied()
    {
        Workbench.Seed(0);
        var config = new ModelConfig(VocabSize: 40);
        using var model = new TinyGpt(config);
        Assert.Equal(config.ParameterCount, model.parameters().Sum(p => p.numel()));
        Assert.DoesNotContain(model.named_parameters(), p => p.name.Contains("head"));
    }

    [Fact]
    public void Logits_have_shape_B_T_V_and_the_future_does_not_leak()
    {
        Workbench.Seed(0);
        using var model = new TinyGpt(new ModelConfig(VocabSize: 10, Layers: 2, Heads: 2, Embd: 16, BlockSize: 8));
        model.eval();
        using var idx = tensor(new long[] { 1, 2, 3, 4, 5, 6 }).reshape(1, 6);
        using var changed = tensor(new long[] { 1, 2, 3, 9, 9, 9 }).reshape(1, 6);
        using var a = model.call(idx);
        using var b = model.call(changed);
        Assert.Equal(new long[] { 1, 6, 10 }, a.shape);
        // Positions 0..2 saw the same prefix, so their logits are identical; position 3 differs.
        Assert.True(a[0, ..3].allclose(b[0, ..3]));
        Assert.False(a[0, 3].allclose(b[0, 3]));
    }

    [Theory]
    [InlineData(ScalarType.BFloat16)]
    [InlineData(ScalarType.Float16)]
    public void In_16_bits_on_the_CPU_attention_agrees_with_float32s_fused_kernel_and_keeps_the_future_out(ScalarType type)
    {
        Workbench.Seed(0);
        using var attention = new CausalSelfAttention(new ModelConfig(VocabSize: 10, Layers: 1, Heads: 2, Embd: 16, BlockSize: 8));
        attention.eval();
        // Three times nanoGPT's initial weights make the attention sharp enough that a wrong mask or scale moves the output
        // by a fifth or more, and not so sharp that 16-bit rounding flips its choices: over eight seeds the outputs stayed
        // within 0.9% of float32's and the gradients within 1.2%.
        using (no_grad())
            foreach (var p in attention.parameters()) p.mul_(3);
        // Both runs start from the same 16-bit weights and inputs, so what differs is only the arithmetic.
        attention.to(type);
        using var x = randn(2, 8, 16).to(type).requires_grad_();
        using var pull = randn(2, 8, 16);                                          // a fixed direction to differentiate along
        using var low = attention.call(x).to(ScalarType.Float32);
        low.mul(pull).sum().backward();
        using var lowGrad = x.grad!.to(ScalarType.Float32);
        attention.to(ScalarType.Float32);
        using var x32 = x.detach().to(ScalarType.Float32).requires_grad_();
        using var reference = attention.call(x32);                                 // float32: libtorch's fused attention
        reference.mul(pull).sum().backward();
        attention.to(type);
        var error = (low - reference).abs().max().item<float>() / reference.abs().max().item<float>();
        Assert.True(error < 0.02, $"{type} attention is {error:P1} of the largest output away from float32's");
        var gradError = (lowGrad - x32.grad!).abs().max().item<float>() / x32.grad!.abs().max().item<float>();
        Assert.True(gradError < 0.03, $"the gradient through {type} attention is {gradError:P1} of the largest away from float32's");

        // The last three positions changed: the first five outputs stay exactly as they were.
        using var changed = x.clone();
        changed[.., 5..] = randn(2, 3, 16).to(type);
        using var again = attention.call(changed).detach().to(ScalarType.Float32);
        Assert.True(again[.., ..5].allclose(low.detach()[.., ..5], rtol: 0, atol: 0));
        Assert.False(again[.., 5].allclose(low.detach()[.., 5]));
    }

    [Fact]
    public void In_bfloat16_on_the_CPU_adding_the_mask_gives_masked_fills_outputs_and_gradients_to_the_bit()
    {
        Workbench.Seed(3);
        using var attention = new CausalSelfAttention(new ModelConfig(VocabSize: 10, Layers: 1, Heads: 2, Embd: 16, BlockSize: 8));
        attention.to(ScalarType.BFloat16);
        var w = attention.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        using var x = randn(3, 8, 16).to(ScalarType.BFloat16).requires_grad_();
        using var pull = randn(3, 8, 16);
        using var y = attention.call(x);
        y.to(ScalarType.Float32).mul(pull).sum().backward();
        using var gradOfX = x.grad!.clone();

        // The textbook form: fill the future's scores with -inf before the softmax.
        x.grad!.zero_();
        using var _ = NewDisposeScope();
        var qkv = nn.functional.linear(x, w["c_attn.weight"], w["c_attn.bias"]).split(16, dim: 2);
        var (q, k, v) = (qkv[0].view(3, 8, 2, 8).transpose(1, 2), qkv[1].view(3, 8, 2, 8).transpose(1, 2), qkv[2].view(3, 8, 2, 8).transpose(1, 2));
        using Scalar scale = 1.0 / Math.Sqrt(8), never = double.NegativeInfinity;
        var future = ones(8, 8, dtype: ScalarType.Bool).triu(1);
        var weights = nn.functional.softmax(q.matmul(k.transpose(-2, -1)).mul(scale).masked_fill(future, never), -1);
        var filled = nn.functional.linear(weights.matmul(v).transpose(1, 2).contiguous().view(3, 8, 16), w["c_proj.weight"], w["c_proj.bias"]);
        filled.to(ScalarType.Float32).mul(pull).sum().backward();

        Assert.True(y.allclose(filled, rtol: 0, atol: 0));
        Assert.True(gradOfX.allclose(x.grad!, rtol: 0, atol: 0));
    }

    [Fact]
    public void An_id_outside_the_vocabulary_is_named_before_the_embedding_and_evaluation_stays_in_train_mode()
    {
        Workbench.Seed(0);
        using var model = new TinyGpt(new ModelConfig(VocabSize: 10, Layers: 1, Heads: 2, Embd: 16, BlockSize: 8));
        using var ids = tensor(new long[] { 1, 2, 10, 3 }, [1, 4]);
        var error = Assert.Throws<ArgumentException>(() => model.call(ids));
        Assert.Contains("token id 10 is outside the model's vocabulary 0..9", error.Message);
        using var negative = tensor(new long[] { -1, 2 }, [1, 2]);
        Assert.Contains("token id -1", Assert.Throws<ArgumentException>(() => model.call(negative)).Message);

        // A trainer checks its data once, inputs and targets alike.
        var data = Tests.Training.TinyRun.Data();
        data.Validation[^1] = Tests.Training.TinyRun.VocabSize;
        Assert.Contains($"validation token {data.Validation.Length - 1} has id {Tests.Training.TinyRun.VocabSize}, outside the model's vocabulary",
            Assert.Throws<ArgumentException>(() => new NotebookKit.Training.Trainer(Tests.Training.TinyRun.Model(), Tests.Training.TinyRun.Config, data, CPU)).Message);

        // An evaluation that throws half-way (a hook that throws in the forward) leaves the model in training mode.
        using var trainer = new NotebookKit.Training.Trainer(Tests.Training.TinyRun.Model(dropout: 0.1), Tests.Training.TinyRun.Config, Tests.Training.TinyRun.Data(), CPU);
        trainer.Precision.Compute.register_forward_pre_hook((_, _) => throw new InvalidOperationException("a batch failed"));
        Assert.Throws<InvalidOperationException>(() => trainer.EvaluateFullContext(Tests.Training.TinyRun.Data().Validation));
        Assert.Throws<InvalidOperationException>(() => trainer.Evaluate());
        Assert.True(trainer.Precision.Compute.training);
        Assert.True(trainer.Model.training);
    }
}

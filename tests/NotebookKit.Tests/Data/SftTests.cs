using NotebookKit.Data;
using NotebookKit.Runtime;
using NotebookKit.Text;
using TorchSharp;

namespace NotebookKit.Tests.Data;

public sealed class SftTests : IDisposable
{
    static readonly CharTokenizer Chars = CharTokenizer.FromText("abcdefghijklmnopqrstuvwxyz0123456789:?, \nR");
    readonly string _dir = Directory.CreateTempSubdirectory("nbk-sft-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Prompt_targets_are_masked_and_the_response_counts()
    {
        // prompt "next?\n" (6 chars), response "Rollback" (8 chars): 14 tokens, 13 positions.
        var view = new SftExample("next?\n", "Rollback").ToView(Chars.Encode);
        var rows = view.Rows(Chars.TokenText);
        Assert.Equal(13, rows.Count);
        // Positions 0..4 predict prompt characters 'e', 'x', 't', '?', '\n': masked.
        Assert.Equal(["e", "x", "t", "?", "↵"], rows.Take(5).Select(r => r.TargetToken));
        Assert.All(rows.Take(5), r => Assert.False(r.Counted));
        // Position 5 reads the last prompt character and predicts the first response character: it counts.
        Assert.Equal(new AlignmentRow(5, "↵", "R", true), rows[5]);
        Assert.All(rows.Skip(5), r => Assert.True(r.Counted));
        Assert.Equal(8, view.Counted.Count(c => c));
    }

    [Fact]
    public void Batch_pads_to_the_longest_example_and_masks_padding()
    {
        Workbench.Seed(0);
        var views = new[]
        {
            new SftExample("q:", "ab").ToView(Chars.Encode),    // 3 positions, 2 count
            new SftExample("q: x", "abc").ToView(Chars.Encode), // 6 positions, 3 count
        };
        using var batch = SftBatcher.Build(views, padId: 0, torch.CPU);
        Assert.Equal(new long[] { 2, 6 }, batch.Inputs.shape);
        Assert.Equal(new long[] { 2, 6 }, batch.Targets.shape);
        Assert.Equal(5, batch.CountedTokens());
        var a = Chars.Encode("a")[0];
        var b = Chars.Encode("b")[0];
        const long I = Batch.IgnoreIndex;
        Assert.Equal(new long[] { I, a, b, I, I, I }, batch.Targets[0].data<long>().ToArray());
        Assert.Equal(new long[] { Chars.Encode("q")[0], Chars.Encode(":")[0], a, 0, 0, 0 }, batch.Inputs[0].data<long>().ToArray());
    }

    [Fact]
    public void Batcher_resumes_exactly_and_rejects_examples_longer_than_the_block()
    {
        var examples = Enumerable.Range(0, 10).Select(i => new SftExample($"q{i}:", $"a{i}")).ToArray();
        var straight = new SftBatcher(examples, Chars.Encode, blockSize: 8, batchSize: 3, seed: 5);
        var resumed = new SftBatcher(examples, Chars.Encode, blockSize: 8, batchSize: 3, seed: 5);
        for (var i = 0; i < 4; i++) straight.Next(torch.CPU).Dispose();
        resumed.Restore(straight.State);
        using var expected = straight.Next(torch.CPU);
        using var actual = resumed.Next(torch.CPU);
        Assert.Equal(expected.Inputs.data<long>().ToArray(), actual.Inputs.data<long>().ToArray());
        Assert.Equal(expected.Targets.data<long>().ToArray(), actual.Targets.data<long>().ToArray());
        using var first = new SftBatcher(examples, Chars.Encode, blockSize: 8, batchSize: 3, seed: 5).Next(torch.CPU);
        Assert.NotEqual(first.Inputs.data<long>().ToArray(), actual.Inputs.data<long>().ToArray());

        var error = Assert.Throws<ArgumentException>(() => new SftBatcher(examples, Chars.Encode, blockSize: 3, batchSize: 2, seed: 0));
        Assert.Contains("example 0 ('q0:') has 5 tokens, more than block size 3", error.Message);
    }

    [Fact]
    public void Inverted_mask_counts_the_prompt_and_hides_the_response_but_never_the_padding()
    {
        var view = new SftExample("q: x", "abc").ToView(Chars.Encode); // 6 positions: 3 prompt, 3 response
        var inverted = view.WithMaskInverted();
        Assert.Equal(view.Inputs, inverted.Inputs);
        Assert.Equal(view.Targets, inverted.Targets);
        Assert.Equal(new[] { true, true, true, false, false, false }, inverted.Counted);

        // In a batch the longer example pads the shorter one; padding stays masked whichever way the mask points.
        var examples = new[] { new SftExample("q:", "ab"), new SftExample("q: x", "abc") };
        var batcher = new SftBatcher(examples, Chars.Encode, blockSize: 8, batchSize: 4, seed: 3, invertMask: true);
        var keys = batcher.PeekKeys();
        using var batch = batcher.Next(torch.CPU);
        for (var row = 0; row < keys.Length; row++)
        {
            var counted = batch.Targets[row].data<long>().ToArray().Select(t => t != Batch.IgnoreIndex).ToArray();
            var expected = examples[keys[row]].ToView(Chars.Encode).Counted.Select(c => !c).ToArray();
            Assert.Equal(expected, counted.Take(expected.Length));
            Assert.All(counted.Skip(expected.Length), c => Assert.False(c));
        }
    }

    [Fact]
    public void Jsonl_round_trips_and_bad_lines_name_the_line()
    {
        var path = Path.Combine(_dir, "sft.jsonl");
        SftExample[] examples = [new("a \"quoted\" prompt\n", "answer"), new("second", "two")];
        File.WriteAllText(path, SftExample.ToJsonl(examples));
        Assert.Equal(examples, SftExample.ReadJsonl(path));

        File.WriteAllText(path, "{\"prompt\":\"x\",\"response\":\"y\"}\n{\"prompt\":\"x\"}\n");
        var error = Assert.Throws<InvalidDataException>(() => SftExample.ReadJsonl(path));
        Assert.Contains($"{path}:2", error.Message);
    }
}

using NotebookKit.Data;
using NotebookKit.Text;

namespace NotebookKit.Tests.Data;

public class ShiftedViewTests
{
    const string Sentence = "Rollback started at 14:18";
    static readonly CharTokenizer Chars = CharTokenizer.FromText(Sentence);

    [Fact]
    public void Targets_are_the_inputs_moved_left_by_one()
    {
        var view = new ShiftedView(Chars.Encode(Sentence));
        Assert.Equal(24, view.Length);
        Assert.Equal("Rollback started at 14:1", Chars.Decode(view.Inputs));
        Assert.Equal("ollback started at 14:18", Chars.Decode(view.Targets));
        Assert.All(view.Counted, Assert.True);
        Assert.Equal(view.Targets.Select(t => (long)t), view.MaskedTargets());
    }

    [Fact]
    public void Alignment_rows_pair_each_input_with_the_next_character()
    {
        var rows = new ShiftedView(Chars.Encode(Sentence)).Rows(Chars.TokenText);
        Assert.Equal(new AlignmentRow(0, "R", "o", true), rows[0]);
        Assert.Equal(new AlignmentRow(7, "k", "␣", true), rows[7]);
        Assert.Equal(new AlignmentRow(8, "␣", "s", true), rows[8]);
        Assert.Equal(new AlignmentRow(23, "1", "8", true), rows[^1]);
    }

    [Fact]
    public void Alignment_rows_work_the_same_on_bpe_tokens()
    {
        var tokens = BpeView.Tokens(Sentence);
        var text = tokens.ToDictionary(t => t.Id, t => t.Text);
        var rows = new ShiftedView(tokens.Select(t => t.Id).ToArray()).Rows(id => text[id]);
        Assert.Equal(6, rows.Count);
        Assert.Equal(new AlignmentRow(0, "Rollback", " started", true), rows[0]);
        Assert.Equal(new AlignmentRow(5, ":", "18", true), rows[5]);
    }

    [Fact]
    public void Masked_positions_become_ignore_index()
    {
        var ids = Chars.Encode("at 14:18");
        var counted = new[] { false, false, false, true, true, true, true };
        var view = new ShiftedView(ids, counted);
        var masked = view.MaskedTargets();
        Assert.Equal(Enumerable.Repeat(Batch.IgnoreIndex, 3), masked[..3]);
        Assert.Equal(Chars.Encode("4:18").Select(i => (long)i), masked[3..]);
        Assert.False(view.Rows(Chars.TokenText)[2].Counted);
        Assert.True(view.Rows(Chars.TokenText)[3].Counted);
    }

    [Fact]
    public void Bad_shapes_say_what_is_wrong()
    {
        Assert.Contains("at least 2 tokens", Assert.Throws<ArgumentException>(() => new ShiftedView([3])).Message);
        Assert.Contains("7 target positions", Assert.Throws<ArgumentException>(() => new ShiftedView(Chars.Encode("at 14:18"), [true])).Message);
    }
}

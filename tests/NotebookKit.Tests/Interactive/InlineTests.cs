using Microsoft.DotNet.Interactive.Formatting;
using NotebookKit.Charts;
using NotebookKit.Data;
using NotebookKit.Interactive;
using NotebookKit.Tests.Charts;
using TorchSharp;

namespace NotebookKit.Tests.Interactive;

/// <summary>Formatter state is process-wide, so every test that formats through it lives in this one collection.</summary>
[CollectionDefinition(nameof(FormatterState), DisableParallelization = true)]
public class FormatterState;

[Collection(nameof(FormatterState))]
public class InlineTests
{
    public InlineTests() => Inline.Register();

    static readonly AlignmentRow[] Rows =
    [
        new(0, "<eos>", "R", false),
        new(1, "R", "&", true),
        new(2, " ", "\n", true),
    ];

    [Fact]
    public void Every_NotebookKit_value_formats_as_html()
    {
        NotebookKit.Runtime.Workbench.Seed(0);
        using var tensor = torch.ones(2, 3);
        object[] values =
        [
            Timeline.Of(RunLogFixture.Healthy()),
            Timeline.Of(RunLogFixture.Healthy()).Chart,
            new AlignmentTable(Rows),
            Rows,
            new CheckpointContents([new("weights", "model.bin", 1_572_864)]),
            new OptimizerStateView("w", 1, [0.1f], [0.01f]),
            TensorSummary.Of(tensor),
            tensor,
        ];
        foreach (var value in values)
        {
            Assert.Equal(HtmlFormatter.MimeType, Formatter.GetPreferredMimeTypesFor(value.GetType()).First());
            var html = value.ToDisplayString(HtmlFormatter.MimeType);
            Assert.True(html.StartsWith("<script>", StringComparison.Ordinal) || html.StartsWith("<div", StringComparison.Ordinal) || html.StartsWith("<table", StringComparison.Ordinal), $"{value.GetType().Name} formatted as: {html[..Math.Min(200, html.Length)]}");
        }
    }

    [Fact]
    public void Table_text_is_escaped_and_whitespace_visible()
    {
        var html = Rows.ToDisplayString(HtmlFormatter.MimeType);
        Assert.Contains("&lt;eos&gt;", html);
        Assert.DoesNotContain("<eos>", html);
        Assert.Contains("<td style=\"border:1px solid #ccc;padding:3px 8px;text-align:left\">&amp;</td>", html);
        Assert.Contains("␣", html);
        Assert.Contains("⏎", html);
        Assert.Contains("masked", html);
        Assert.Contains("2 of 3 positions count in the loss", html);
        Assert.Equal("0: <eos> -> R (masked)", new AlignmentTable(Rows).ToString().Split('\n')[0]);
    }

    [Fact]
    public void Checkpoint_contents_show_sizes_and_total()
    {
        var html = new CheckpointContents([new("weights", "model.bin", 1_572_864), new("optimizer moments <m, v>", "optim.bin", 3_145_728)])
            .ToDisplayString(HtmlFormatter.MimeType);
        Assert.Contains("1.50 MiB", html);
        Assert.Contains("4.50 MiB", html); // total
        Assert.Contains("4,718,592", html);
        Assert.Contains("optimizer moments &lt;m, v&gt;", html);
        Assert.Equal("512 B", CheckpointContents.Size(512));
        Assert.Equal("2.00 KiB", CheckpointContents.Size(2048));
    }

    [Fact]
    public void Optimizer_state_shows_m_v_and_the_bias_corrected_direction()
    {
        NotebookKit.Runtime.Workbench.Seed(0);
        using var m = torch.tensor(new float[] { 0.01f, -0.02f, 0.03f }); // (3)
        using var v = torch.tensor(new float[] { 1e-5f, 4e-5f, 9e-5f }); // (3): one AdamW step of g = (0.1, -0.2, 0.3) gives m = 0.1 g, v = 0.001 g²
        var view = OptimizerStateView.Of("blocks.0.mlp.weight", 1, m, v, count: 2);
        Assert.Equal([0.01f, -0.02f], view.M);
        // After one step m̂ = g and v̂ = g², so the direction is sign(g) up to eps: the first AdamW step moves every weight by about lr.
        Assert.Equal(1.0, view.Direction(0), 5);
        Assert.Equal(-1.0, view.Direction(1), 5);
        var html = view.ToDisplayString(HtmlFormatter.MimeType);
        Assert.Contains("AdamW state of blocks.0.mlp.weight after 1 step(s), first 2 elements", html);
        Assert.Contains(">-0.02<", html);
        using var w = torch.zeros(4);
        Assert.Throws<ArgumentException>(() => OptimizerStateView.Of("w", 1, m, w));
    }

    [Fact]
    public void Tensor_summary_has_shape_dtype_device_values_and_norm()
    {
        NotebookKit.Runtime.Workbench.Seed(0);
        using var t = torch.arange(0, 12, dtype: torch.float32).reshape(3, 4); // (3, 4)
        var summary = TensorSummary.Of(t, count: 3);
        Assert.Equal([3L, 4L], summary.Shape);
        Assert.Equal("Float32", summary.DType);
        Assert.Equal("cpu", summary.Device);
        Assert.Equal(["0", "1", "2"], summary.First);
        Assert.Equal(Math.Sqrt(Enumerable.Range(0, 12).Sum(i => i * i)), summary.Norm!.Value, 9);
        var html = t.ToDisplayString(HtmlFormatter.MimeType);
        Assert.Contains("shape (3, 4) · Float32 · cpu · norm 22.494", html);
        Assert.Contains("[0, 1, 2, 3, 4, 5, … (12 values)]", html);
        using var ids = torch.tensor(new long[] { 5, 7 });
        Assert.Null(TensorSummary.Of(ids).Norm);
        Assert.Equal(["5", "7"], TensorSummary.Of(ids).First);
    }

    [Fact]
    public void First_chart_brings_plotly_later_ones_reuse_it_unless_the_host_loads_it()
    {
        try
        {
            Inline.ResendPlotly();
            var first = Probabilities.SurpriseCurve().ToDisplayString(HtmlFormatter.MimeType);
            var second = Probabilities.SurpriseCurve().ToDisplayString(HtmlFormatter.MimeType);
            Assert.StartsWith("<script>if (!window.Plotly)", first);
            Assert.Contains("plotly.js v" + PlotlyJs.Version, first);
            Assert.DoesNotContain("plotly.js v", second);
            Assert.Contains("Plotly.newPlot", second);

            Inline.Register(hostLoadsPlotly: true);
            Inline.ResendPlotly();
            Assert.DoesNotContain("plotly.js v", Probabilities.SurpriseCurve().ToDisplayString(HtmlFormatter.MimeType));
        }
        finally
        {
            Inline.Register();
        }
    }

    [Fact]
    public void Register_is_idempotent_and_recovers_after_a_reset()
    {
        Inline.Register();
        var before = Formatter.GetPreferredFormatterFor(typeof(Figure), HtmlFormatter.MimeType);
        Inline.Register();
        Assert.Same(before, Formatter.GetPreferredFormatterFor(typeof(Figure), HtmlFormatter.MimeType));
        Formatter.ResetToDefault();
        Assert.DoesNotContain("Plotly.newPlot", Probabilities.SurpriseCurve().ToDisplayString(HtmlFormatter.MimeType));
        Inline.Register();
        Assert.Contains("Plotly.newPlot", Probabilities.SurpriseCurve().ToDisplayString(HtmlFormatter.MimeType));
    }
}

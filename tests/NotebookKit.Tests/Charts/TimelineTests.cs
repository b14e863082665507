using NotebookKit.Charts;
using NotebookKit.Telemetry;

namespace NotebookKit.Tests.Charts;

public class TimelineTests
{
    static readonly string[] PanelAxes = ["y", "y2", "y3", "y4"];

    [Fact]
    public void Four_panels_with_titled_axes_stacked_top_to_bottom()
    {
        var json = new FigureJson(Timeline.Of(RunLogFixture.Healthy()));
        string[] titles = ["loss (nats/token)", "learning rate", "grad norm (L2)", "tokens/s"];
        var previousBottom = 1.01;
        for (var i = 0; i < 4; i++)
        {
            var axis = json.Layout.GetProperty(i == 0 ? "yaxis" : $"yaxis{i + 1}");
            Assert.Equal(titles[i], axis.GetProperty("title").GetProperty("text").GetString());
            var domain = axis.GetProperty("domain").EnumerateArray().Select(d => d.GetDouble()).ToArray();
            Assert.True(domain[1] < previousBottom && domain[0] < domain[1], $"panel {titles[i]} domain [{domain[0]}, {domain[1]}] overlaps the one above");
            previousBottom = domain[0];
            Assert.Contains(json.OnAxis(PanelAxes[i]), t => FigureJson.Name(t) == "correct");
        }
        Assert.Equal("Training timeline: correct", json.Layout.GetProperty("title").GetProperty("text").GetString());
    }

    [Fact]
    public void Every_panel_shares_one_step_axis()
    {
        var json = new FigureJson(Timeline.Of(RunLogFixture.Healthy()));
        Assert.All(json.Traces, t => Assert.False(t.TryGetProperty("xaxis", out var x) && x.GetString() != "x"));
        Assert.Single(json.Layout.EnumerateObject(), p => p.Name.StartsWith("xaxis", StringComparison.Ordinal));
        Assert.Equal("step", json.Layout.GetProperty("xaxis").GetProperty("title").GetProperty("text").GetString());
        Assert.Equal("y4", json.Layout.GetProperty("xaxis").GetProperty("anchor").GetString());
        foreach (var axis in new[] { "yaxis", "yaxis2", "yaxis3", "yaxis4" })
            Assert.Equal("x", json.Layout.GetProperty(axis).GetProperty("anchor").GetString());
    }

    [Fact]
    public void Grad_norm_panel_has_the_clip_line_and_marks_clipped_steps()
    {
        var json = new FigureJson(Timeline.Of(RunLogFixture.Healthy()));
        var clip = json.Trace("clip threshold 1");
        Assert.Equal("y3", clip.GetProperty("yaxis").GetString());
        Assert.Equal([1.0, 1.0], FigureJson.Numbers(clip, "y"));
        Assert.Equal([1.0, 20.0], FigureJson.Numbers(clip, "x"));

        var clipped = json.Trace("correct: clipped steps (2)");
        Assert.Equal("y3", clipped.GetProperty("yaxis").GetString());
        Assert.Equal([3.0, 4.0], FigureJson.Numbers(clipped, "x"));
        Assert.Equal([2.5, 1.75], FigureJson.Numbers(clipped, "y"));
    }

    [Fact]
    public void Skipped_step_is_marked_on_every_panel()
    {
        var run = RunLogFixture.Healthy();
        var json = new FigureJson(Timeline.Of(run));
        var skippedRecord = run.Steps.Single(s => s.Skipped);
        double?[] expected = [null, skippedRecord.LearningRate, skippedRecord.GradNorm, skippedRecord.TokensPerSecond]; // loss is inf: no point
        for (var i = 0; i < 4; i++)
        {
            var marker = json.OnAxis(PanelAxes[i]).Single(t => FigureJson.Name(t) == "correct: skipped steps (1)");
            Assert.Equal([7.0], FigureJson.Numbers(marker, "x"));
            Assert.Equal([expected[i]], FigureJson.Numbers(marker, "y"));
        }
        var line = Assert.Single(json.Layout.GetProperty("shapes").EnumerateArray());
        Assert.Equal(7, line.GetProperty("x0").GetDouble());
        Assert.Equal("paper", line.GetProperty("yref").GetString());
        Assert.Equal(0, line.GetProperty("y0").GetDouble());
        Assert.Equal(1, line.GetProperty("y1").GetDouble());
    }

    [Fact]
    public void Hover_text_carries_the_exact_values_of_each_step()
    {
        var json = new FigureJson(Timeline.Of(RunLogFixture.Healthy()));
        var loss = json.OnAxis("y").Single(t => FigureJson.Name(t) == "correct");
        Assert.StartsWith("%{text}", loss.GetProperty("hovertemplate").GetString());
        var hover = FigureJson.Strings(loss, "text");
        Assert.Equal("step 3<br>loss 3.7 nats<br>lr 0.00018<br>grad norm 2.5 (clipped to 1)<br>tokens/s 15030<br>loss scale 65536", hover[2]);
        Assert.Contains("step 7 (optimizer step 6)<br>loss inf nats", hover[6]);
        Assert.Contains("optimizer skipped this step", hover[6]);
        // The plotted values are the recorded ones; the infinite loss of the skipped step is a gap (null), never invalid JSON.
        var y = FigureJson.Numbers(loss, "y");
        Assert.Null(y[6]);
        Assert.Equal(4.0 - 0.1 * 3, y[2]);
    }

    [Fact]
    public void Loss_panel_has_validation_points_and_the_entropy_floor()
    {
        var json = new FigureJson(Timeline.Of(RunLogFixture.Healthy()));
        var val = json.Trace("correct: validation loss");
        Assert.Equal([5.0, 10.0, 15.0, 20.0], FigureJson.Numbers(val, "x"));
        Assert.Equal(4.05 - 0.1 * 10, FigureJson.Numbers(val, "y")[1]);
        Assert.Equal("y", val.GetProperty("yaxis").GetString());
        var floor = json.Trace("entropy floor 1.25 nats");
        Assert.Equal([1.25, 1.25], FigureJson.Numbers(floor, "y"));
        Assert.Equal("y", floor.GetProperty("yaxis").GetString());
    }

    [Fact]
    public void Compare_gives_each_run_one_colour_on_every_panel_and_one_legend_entry()
    {
        var json = new FigureJson(Timeline.Compare(RunLogFixture.Healthy(), RunLogFixture.ZeroGradBeforeStep()));
        Assert.Equal("Compare: correct vs zero_grad before step", json.Layout.GetProperty("title").GetProperty("text").GetString());
        var colours = new Dictionary<string, string>();
        foreach (var name in new[] { "correct", "zero_grad before step" })
        {
            var lines = json.Traces.Where(t => FigureJson.Name(t) == name).ToList();
            Assert.Equal(4, lines.Count);
            Assert.Single(lines.Select(t => t.GetProperty("line").GetProperty("color").GetString()).Distinct());
            Assert.Single(lines, t => t.GetProperty("showlegend").GetBoolean());
            colours[name] = lines[0].GetProperty("line").GetProperty("color").GetString()!;
        }
        Assert.NotEqual(colours["correct"], colours["zero_grad before step"]);
        // Both runs clip at 1.0 and share the floor: one reference line each, not one per run.
        Assert.Single(json.Traces, t => FigureJson.Name(t).StartsWith("clip threshold", StringComparison.Ordinal));
        Assert.Single(json.Traces, t => FigureJson.Name(t).StartsWith("entropy floor", StringComparison.Ordinal));
    }

    [Fact]
    public void Log_scale_is_available_for_loss_and_grad_norm()
    {
        var json = new FigureJson(Timeline.Of(RunLogFixture.Healthy(), new TimelineOptions(LogLoss: true, LogGradNorm: true)));
        Assert.Equal("log", json.Layout.GetProperty("yaxis").GetProperty("type").GetString());
        Assert.Equal("linear", json.Layout.GetProperty("yaxis2").GetProperty("type").GetString());
        Assert.Equal("log", json.Layout.GetProperty("yaxis3").GetProperty("type").GetString());
    }

    [Fact]
    public void Empty_run_is_a_clear_error()
    {
        var error = Assert.Throws<ArgumentException>(() => Timeline.Of(new RunLog("blank")));
        Assert.Contains("'blank' has no steps", error.Message);
        Assert.Throws<ArgumentException>(() => Timeline.Compare());
    }

    [Fact]
    public void Run_names_cannot_inject_markup_into_labels_or_the_page()
    {
        var run = new RunLog("</script><b>x</b>");
        run.Add(RunLogFixture.Healthy().Steps[0]);
        var figure = Timeline.Of(run);
        var json = new FigureJson(figure);
        var line = json.Traces[0];
        Assert.Equal("&lt;/script&gt;&lt;b&gt;x&lt;/b&gt;", FigureJson.Name(line));
        Assert.EndsWith("<extra>&lt;/script&gt;&lt;b&gt;x&lt;/b&gt;</extra>", line.GetProperty("hovertemplate").GetString());
        Assert.DoesNotContain("</script><b>", figure.ToInlineHtml());
    }
}

public class TimelineOfTrainingTests
{
    [Fact]
    public void Timeline_of_a_real_training_run_plots_every_recorded_step()
    {
        using var trainer = new NotebookKit.Training.Trainer(NotebookKit.Tests.Training.TinyRun.Model(),
            NotebookKit.Tests.Training.TinyRun.Config with { MaxIters = 20, ClipNorm = 1e-3 }, NotebookKit.Tests.Training.TinyRun.Data(),
            TorchSharp.torch.CPU, name: "tiny", entropyFloor: 0.9);
        var log = trainer.Train();
        var json = new FigureJson(Timeline.Of(log));
        var loss = json.OnAxis("y").Single(t => FigureJson.Name(t) == "tiny");
        Assert.Equal(log.Steps.Select(s => (double?)s.Loss), FigureJson.Numbers(loss, "y"));
        var gradNorm = json.OnAxis("y3").Single(t => FigureJson.Name(t) == "tiny");
        Assert.Equal(log.Steps.Select(s => (double?)s.GradNorm), FigureJson.Numbers(gradNorm, "y"));
        Assert.Equal(log.Steps.Count(s => s.ValLoss is not null), FigureJson.Numbers(json.Trace("tiny: validation loss"), "x").Length);
        Assert.Equal([1e-3, 1e-3], FigureJson.Numbers(json.Trace("clip threshold 0.001"), "y"));
        // A clip of 1e-3 is below every real gradient norm, so every step is marked clipped.
        Assert.Equal(log.Steps.Select(s => (double?)s.Step), FigureJson.Numbers(json.Trace("tiny: clipped steps (20)"), "x"));
    }
}

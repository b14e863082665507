using NotebookKit.Telemetry;
using Plotly.NET;

namespace NotebookKit.Charts;

/// <summary>
/// The expert graph: loss, learning rate, gradient norm and tokens/s of one or more runs, stacked on
/// one shared step axis, with skipped steps marked on every panel. This is the picture that explains
/// a run from its logs: a grad-norm spike before a loss spike, an LR that restarted, a step the
/// optimizer silently skipped.
/// </summary>
public static class Timeline
{
    /// <summary>One stacked panel: where it sits, what it plots, how its axis is titled.</summary>
    sealed record Panel(string Axis, string Title, Func<StepRecord, double> Value, double Weight, bool Log, string? TickFormat = null);

    const double Gap = 0.05;

    /// <summary>The timeline of one run.</summary>
    /// <exception cref="ArgumentException">The run has no steps.</exception>
    public static Figure Of(RunLog run, TimelineOptions? options = null) => Compare([run], options);

    /// <summary>Several runs on the same panels, one colour per run across every panel (in argument order).</summary>
    public static Figure Compare(params RunLog[] runs) => Compare(runs, null);

    /// <summary>Several runs on the same panels, one colour per run across every panel (in list order).</summary>
    /// <exception cref="ArgumentException">No runs were given, or one has no steps.</exception>
    public static Figure Compare(IReadOnlyList<RunLog> runs, TimelineOptions? options)
    {
        options ??= new TimelineOptions();
        if (runs.Count == 0) throw new ArgumentException("Timeline needs at least one RunLog; pass the runs to draw.", nameof(runs));
        foreach (var empty in runs.Where(r => r.Steps.Count == 0))
            throw new ArgumentException($"run '{empty.Name}' has no steps: record at least one StepRecord before drawing its timeline.", nameof(runs));

        Panel[] panels =
        [
            new("y", "loss (nats/token)", s => s.Loss, 1.5, options.LogLoss),
            new("y2", "learning rate", s => s.LearningRate, 1, false),
            new("y3", "grad norm (L2)", s => s.GradNorm, 1.2, options.LogGradNorm),
            new("y4", "tokens/s", s => s.TokensPerSecond, 1, false, TickFormat: "~s"),
        ];
        var traces = new List<Trace>();
        var shapes = new List<object>();
        for (var i = 0; i < runs.Count; i++)
            AddRun(runs[i], Plot.RunColours[i % Plot.RunColours.Length], panels, traces, shapes);
        AddReferenceLines(runs, traces);

        var title = options.Title ?? (runs.Count == 1 ? $"Training timeline: {runs[0].Name}" : $"Compare: {string.Join(" vs ", runs.Select(r => r.Name))}");
        var layout = new Dictionary<string, object?>
        {
            ["title"] = Plot.Title(title, x: 0.01),
            ["height"] = options.Height,
            ["hovermode"] = "x",
            ["showlegend"] = true,
            // Under the step axis: above the panels it would collide with the title once two runs add their entries.
            ["legend"] = new { orientation = "h", x = 0, xanchor = "left", y = -0.07, yanchor = "top", font = new { size = 12 } },
            ["margin"] = new { l = 90, r = 30, t = 60, b = 40 + 24 * runs.Count },
            ["shapes"] = shapes,
            ["xaxis"] = SharedStepAxis(panels[^1].Axis),
        };
        var top = 1.0;
        var available = 1 - Gap * (panels.Length - 1);
        var totalWeight = panels.Sum(p => p.Weight);
        foreach (var panel in panels)
        {
            var height = available * panel.Weight / totalWeight;
            var axis = Plot.Axis(panel.Title, panel.Log);
            axis["domain"] = new[] { Math.Max(0, top - height), top };
            axis["anchor"] = "x";
            axis["exponentformat"] = "e";
            if (panel.TickFormat is { } format) axis["tickformat"] = format;
            layout["yaxis" + panel.Axis[1..]] = axis;
            top -= height + Gap;
        }
        return Plot.Figure(title, traces, Plot.Layout(layout), options.Width, options.Height);
    }

    /// <summary>The one x axis every panel shares, drawn under the bottom panel, with a hover spike across all panels.</summary>
    static Dictionary<string, object?> SharedStepAxis(string bottomAxis)
    {
        var axis = Plot.Axis("step");
        axis["anchor"] = bottomAxis;
        axis["showspikes"] = true;
        axis["spikemode"] = "across";
        axis["spikesnap"] = "cursor";
        axis["spikethickness"] = 1;
        axis["spikecolor"] = "#888";
        axis["spikedash"] = "dot";
        return axis;
    }

    static void AddRun(RunLog run, string colour, Panel[] panels, List<Trace> traces, List<object> shapes)
    {
        var steps = run.Steps;
        var x = steps.Select(s => s.Step).ToArray();
        var hover = steps.Select(s => Describe(s, run.ClipNorm)).ToArray();
        var name = Plot.Escape(run.Name);
        var extra = $"<extra>{name}</extra>";
        var skipped = steps.Where(s => s.Skipped).ToList();
        var group = $"run:{run.Name}";

        foreach (var panel in panels)
        {
            traces.Add(Plot.Trace("scatter", new()
            {
                ["name"] = name,
                ["legendgroup"] = group,
                ["showlegend"] = panel == panels[0],
                ["x"] = x,
                ["y"] = Plot.Finite(steps.Select(panel.Value)),
                ["yaxis"] = panel.Axis,
                ["mode"] = steps.Count == 1 ? "markers" : "lines",
                ["line"] = new { color = colour, width = 2 },
                ["text"] = hover,
                ["hovertemplate"] = "%{text}" + extra,
            }));
            if (skipped.Count > 0)
                traces.Add(Plot.Trace("scatter", new()
                {
                    ["name"] = $"{name}: skipped steps ({skipped.Count})",
                    ["legendgroup"] = $"skipped:{run.Name}",
                    ["showlegend"] = panel == panels[0],
                    ["x"] = skipped.Select(s => s.Step).ToArray(),
                    ["y"] = Plot.Finite(skipped.Select(panel.Value)),
                    ["yaxis"] = panel.Axis,
                    ["mode"] = "markers",
                    ["marker"] = new { symbol = "x", size = 11, color = colour, line = new { width = 1, color = "black" } },
                    ["text"] = skipped.Select(s => Describe(s, run.ClipNorm)).ToArray(),
                    ["hovertemplate"] = "<b>skipped</b><br>%{text}" + extra,
                }));
        }

        var validated = steps.Where(s => s.ValLoss is not null).ToList();
        if (validated.Count > 0)
            traces.Add(Plot.Trace("scatter", new()
            {
                ["name"] = $"{name}: validation loss",
                ["legendgroup"] = group,
                ["x"] = validated.Select(s => s.Step).ToArray(),
                ["y"] = Plot.Finite(validated.Select(s => s.ValLoss!.Value)),
                ["yaxis"] = panels[0].Axis,
                ["mode"] = "markers",
                ["marker"] = new { symbol = "diamond", size = 9, color = "white", line = new { width = 2, color = colour } },
                ["text"] = validated.Select(s => $"step {s.Step}<br>validation loss {Plot.Number(s.ValLoss!.Value)} nats").ToArray(),
                ["hovertemplate"] = "%{text}" + extra,
            }));

        var clipped = steps.Where(s => s.Clipped).ToList();
        if (clipped.Count > 0)
            traces.Add(Plot.Trace("scatter", new()
            {
                ["name"] = $"{name}: clipped steps ({clipped.Count})",
                ["legendgroup"] = $"clipped:{run.Name}",
                ["x"] = clipped.Select(s => s.Step).ToArray(),
                ["y"] = Plot.Finite(clipped.Select(s => s.GradNorm)),
                ["yaxis"] = panels[2].Axis,
                ["mode"] = "markers",
                ["marker"] = new { symbol = "circle-open", size = 9, color = colour, line = new { width = 2 } },
                ["text"] = clipped.Select(s => Describe(s, run.ClipNorm)).ToArray(),
                ["hovertemplate"] = "<b>clipped</b><br>%{text}" + extra,
            }));

        // A faint vertical band through every panel at each skipped step, so a skip is visible even where
        // the panel's value is missing (an fp16 overflow leaves the loss infinite).
        foreach (var s in skipped)
            shapes.Add(new
            {
                type = "line", xref = "x", yref = "paper", x0 = s.Step, x1 = s.Step, y0 = 0, y1 = 1,
                line = new { color = colour, width = 1, dash = "dot" }, opacity = 0.6, layer = "below",
            });
    }

    /// <summary>Entropy floor on the loss panel and clip threshold on the grad-norm panel, once per distinct value.</summary>
    static void AddReferenceLines(IReadOnlyList<RunLog> runs, List<Trace> traces)
    {
        var first = runs.Min(r => r.Steps[0].Step);
        var last = runs.Max(r => r.Steps[^1].Step);
        foreach (var floor in runs.Select(r => r.EntropyFloor).OfType<double>().Distinct())
            traces.Add(ReferenceLine($"entropy floor {Plot.Number(floor)} nats", floor, "y", first, last, "dash"));
        foreach (var clip in runs.Select(r => r.ClipNorm).OfType<double>().Distinct())
            traces.Add(ReferenceLine($"clip threshold {Plot.Number(clip)}", clip, "y3", first, last, "dashdot"));
    }

    static Trace ReferenceLine(string name, double value, string axis, int first, int last, string dash) =>
        Plot.Trace("scatter", new()
        {
            ["name"] = name,
            ["x"] = new[] { first, last },
            ["y"] = new[] { value, value },
            ["yaxis"] = axis,
            ["mode"] = "lines",
            ["line"] = new { color = Plot.ReferenceColour, width = 1.5, dash },
            ["hovertemplate"] = $"{Plot.Escape(name)}<extra></extra>",
        });

    /// <summary>Everything recorded for a step, as hover text: the exact values behind each panel.</summary>
    static string Describe(StepRecord s, double? clipNorm)
    {
        var lines = new List<string>
        {
            s.OptimizerStep == s.Step ? $"step {s.Step}" : $"step {s.Step} (optimizer step {s.OptimizerStep})",
            $"loss {Plot.Number(s.Loss)} nats",
            $"lr {Plot.Number(s.LearningRate)}",
            $"grad norm {Plot.Number(s.GradNorm)}" + (s.Clipped && clipNorm is { } c ? $" (clipped to {Plot.Number(c)})" : s.Clipped ? " (clipped)" : ""),
            $"tokens/s {Plot.Number(s.TokensPerSecond)}",
        };
        if (s.GradNormAtStep != s.GradNorm && !s.Clipped) lines.Add($"grad norm seen by the optimizer {Plot.Number(s.GradNormAtStep)}");
        if (s.LossScale != 1) lines.Add($"loss scale {Plot.Number(s.LossScale)}");
        if (s.Skipped) lines.Add("<b>optimizer skipped this step</b>");
        return string.Join("<br>", lines);
    }
}

using System.Runtime.CompilerServices;
using Microsoft.DotNet.Interactive.Formatting;
using NotebookKit.Charts;
using NotebookKit.Data;
using NotebookKit.Exercises;
using NotebookKit.Faults;
using Plotly.NET;
using static TorchSharp.torch;
using Figure = NotebookKit.Charts.Figure;

namespace NotebookKit.Interactive;

/// <summary>
/// Makes NotebookKit's values display as HTML when they are a cell's value or passed to
/// <c>display()</c>: figures (<see cref="Figure"/> and any Plotly.NET <see cref="GenericChart"/>),
/// alignment tables, checkpoint contents, optimizer state, exercise feedback, fault cards, checked claims and tensor summaries (tensors themselves
/// display as their summary). Works in the headless runner and in VS Code's Polyglot Notebooks through
/// Microsoft.DotNet.Interactive.Formatting alone; Plotly.NET.Interactive is not needed, and if a
/// learner loads it too, both formatters produce a working chart.
/// </summary>
/// <remarks>
/// Registration happens automatically when the NotebookKit assembly loads; call <see cref="Register"/>
/// in a notebook's first cell to be explicit, or after something reset the formatters.
/// Charts need plotly.js on the page. In VS Code the first chart a process displays carries plotly.js
/// (inlined from Plotly.NET, no CDN) and later charts reuse <c>window.Plotly</c>. A host that puts
/// plotly.js on its page itself, like the headless report, calls <c>Register(hostLoadsPlotly: true)</c>
/// so charts never carry it.
/// </remarks>
public static class Inline
{
    static readonly object Gate = new();
    static bool _hostLoadsPlotly;
    static bool _plotlySent;
    static ITypeFormatter? _figureFormatter;

    /// <summary>
    /// Registers the text/html formatters. Idempotent: calling it again does nothing unless the
    /// formatters were reset (<c>Formatter.ResetToDefault()</c>) or <paramref name="hostLoadsPlotly"/> changed.
    /// </summary>
    /// <param name="hostLoadsPlotly">True when the page that shows the outputs already loads plotly.js
    /// (the headless report inlines <see cref="PlotlyJs.Source"/> once in its head). False by default, for
    /// VS Code, where the first chart must bring plotly.js itself.</param>
    public static void Register(bool hostLoadsPlotly = false)
    {
        lock (Gate)
        {
            var current = Formatter.GetPreferredFormatterFor(typeof(Figure), HtmlFormatter.MimeType);
            if (_figureFormatter is not null && ReferenceEquals(current, _figureFormatter) && _hostLoadsPlotly == hostLoadsPlotly) return;
            _hostLoadsPlotly = hostLoadsPlotly;
            _figureFormatter = new HtmlFormatter<Figure>((figure, context) => context.Writer.Write(ChartHtml(figure)));
            Formatter.Register(_figureFormatter);
            Formatter.Register(new HtmlFormatter<GenericChart>((chart, context) =>
                context.Writer.Write(ChartHtml(new Figure(chart, "Plotly.NET chart", 900, 500)))));
            Formatter.Register(new HtmlFormatter<AlignmentTable>((table, context) => context.Writer.Write(table.ToHtml())));
            Formatter.Register(new HtmlFormatter<IReadOnlyList<AlignmentRow>>((rows, context) => context.Writer.Write(new AlignmentTable(rows).ToHtml())));
            Formatter.Register(new HtmlFormatter<CheckpointContents>((contents, context) => context.Writer.Write(contents.ToHtml())));
            Formatter.Register(new HtmlFormatter<OptimizerStateView>((state, context) => context.Writer.Write(state.ToHtml())));
            Formatter.Register(new HtmlFormatter<TensorSummary>((summary, context) => context.Writer.Write(summary.ToHtml())));
            Formatter.Register(new HtmlFormatter<Feedback>((feedback, context) => context.Writer.Write(feedback.ToHtml())));
            Formatter.Register(new HtmlFormatter<FaultCard>((card, context) => context.Writer.Write(card.ToHtml())));
            Formatter.Register(new HtmlFormatter<Claim>((claim, context) => context.Writer.Write(claim.ToHtml())));
            Formatter.Register(new HtmlFormatter<Tensor>((tensor, context) => context.Writer.Write(
                tensor.IsInvalid ? "<div class=\"nbk-tensor\"><b>tensor</b> (disposed)</div>" : TensorSummary.Of(tensor).ToHtml())));
            foreach (var type in new[] { typeof(Figure), typeof(GenericChart), typeof(AlignmentTable), typeof(CheckpointContents), typeof(OptimizerStateView), typeof(TensorSummary), typeof(FaultCard), typeof(Tensor) })
                Formatter.SetPreferredMimeTypesFor(type, HtmlFormatter.MimeType);
        }
    }

    /// <summary>
    /// Makes the next chart carry plotly.js again. Needed only when a notebook view was reloaded while
    /// its kernel kept running, so the page lost <c>window.Plotly</c>; a chart says so when it happens.
    /// </summary>
    public static void ResendPlotly()
    {
        lock (Gate) _plotlySent = false;
    }

    /// <summary>The HTML for a chart: plotly.js rides along with the first chart unless the host page loads it.</summary>
    static string ChartHtml(Figure figure)
    {
        bool include;
        lock (Gate)
        {
            include = !_hostLoadsPlotly && !_plotlySent;
            _plotlySent |= include;
        }
        return figure.ToInlineHtml(includePlotly: include);
    }

#pragma warning disable CA2255 // formatters must exist before a notebook's first value is displayed, with no setup cell
    [ModuleInitializer]
    internal static void RegisterOnLoad()
    {
        try
        {
            Register();
        }
        catch (Exception e) when (e is TypeLoadException or FileNotFoundException or InvalidOperationException)
        {
            // A host without the formatting library still gets every chart through Figure.SaveHtml and ToInlineHtml.
            Console.Error.WriteLine($"NotebookKit: inline formatters not registered ({e.Message}); call NotebookKit.Interactive.Inline.Register() to retry.");
        }
    }
#pragma warning restore CA2255
}

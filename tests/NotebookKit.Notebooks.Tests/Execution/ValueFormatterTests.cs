using Microsoft.DotNet.Interactive.Formatting;
using NotebookKit.Notebooks.Execution;

namespace NotebookKit.Notebooks.Tests.Execution;

public class ValueFormatterTests
{
    public sealed record WithHtmlFormatter(int Value);

    public sealed record WithoutFormatter(string Text);

    [TypeFormatterSource(typeof(SourcedFormatters))]
    public sealed record WithFormatterSource(int Value);

    public sealed class SourcedFormatters : ITypeFormatterSource
    {
        public IEnumerable<ITypeFormatter> CreateTypeFormatters() =>
            [new HtmlFormatter<WithFormatterSource>((v, context) => { context.Writer.Write($"<em>{v.Value}</em>"); return true; })];
    }

    [Fact]
    public void FormatterDeclaredByAttributeOnTheTypeGivesHtml()
    {
        Assert.Equal((CellOutput.Html, "<em>3</em>"), ValueFormatter.Format(new WithFormatterSource(3), []));
    }

    [Fact]
    public void RegisteredHtmlFormatterGivesHtmlAndEverythingElseIsPlainText()
    {
        Formatter.Register<WithHtmlFormatter>((v, w) => w.Write($"<span class=\"v\">{v.Value}</span>"), CellOutput.Html);
        Assert.Equal((CellOutput.Html, "<span class=\"v\">7</span>"), ValueFormatter.Format(new WithHtmlFormatter(7), []));
        // Without a registration the value takes the formatting library's plain form (type and properties), escaped by the report.
        var (mime, text) = ValueFormatter.Format(new WithoutFormatter("<b>raw</b>"), []);
        Assert.Equal(CellOutput.Plain, mime);
        Assert.Contains("Text: <b>raw</b>", text);
        Assert.Equal((CellOutput.Plain, "<i>text</i>"), ValueFormatter.Format("<i>text</i>", []));
        Assert.Equal((CellOutput.Html, "<i>markup</i>"), ValueFormatter.Format(new Microsoft.AspNetCore.Html.HtmlString("<i>markup</i>"), []));
        Assert.Equal((CellOutput.Html, "<p>forced</p>"), ValueFormatter.Format("<p>forced</p>", [CellOutput.Html]));
        Assert.Equal((CellOutput.Plain, "<null>"), ValueFormatter.Format(null, []));
    }
}

using System.Text.RegularExpressions;
using NotebookKit.Faults;
using NotebookKit.Telemetry;
using NotebookKit.Training;

namespace NotebookKit.Tests.Faults;

public class FaultCardTests
{
    /// <summary>A source file's lines with indentation removed and runs of spaces collapsed, as the cards write them.</summary>
    static string[] SourceLines(string file) =>
        File.ReadAllLines(Path.Combine(Repository.Root(), "lib", "NotebookKit", file)).Select(l => Regex.Replace(l.Trim(), @"\s+", " ")).ToArray();

    [Fact]
    public void Every_card_quotes_its_line_exactly_as_the_source_has_it()
    {
        foreach (var card in FaultCard.All)
        {
            var lines = SourceLines(card.File);
            var wanted = card.Ours.Split('\n');
            var at = Enumerable.Range(0, lines.Length - wanted.Length + 1).Where(i => lines.Skip(i).Take(wanted.Length).SequenceEqual(wanted)).ToArray();
            Assert.True(at.Length == 1, $"{card.Fault}: '{card.Ours}' occurs {at.Length} times in {card.File}, expected once");
            Assert.Contains(card.Fault.ToString(), wanted[0]);
        }
    }

    [Fact]
    public void Every_fault_line_of_the_trainer_is_on_a_card()
    {
        var marked = SourceLines("Training/Trainer.cs").Where(l => l.Contains("// fault:") && !l.StartsWith("///", StringComparison.Ordinal)).ToArray();
        Assert.Equal(10, marked.Length);
        Assert.Equal(marked.Order(), FaultCard.All.Where(c => c.File == "Training/Trainer.cs").Select(c => c.Ours.Split('\n')[0]).Order());
    }

    [Fact]
    public void Every_fault_has_one_card_naming_a_timeline_column()
    {
        Assert.Equal(Enum.GetValues<LoopFault>().Where(f => f != LoopFault.None), FaultCard.All.Select(c => c.Fault));
        Assert.All(FaultCard.All, c => Assert.NotNull(TelemetryColumns.Records(c.Column)));
        Assert.Equal("grad_norm_at_step", FaultCard.Of(LoopFault.ZeroGradBeforeStep).Column);
        Assert.StartsWith("None breaks no line of the loop: pass one of labels-not-shifted", Assert.Throws<ArgumentException>(() => FaultCard.Of(LoopFault.None)).Message);
    }

    [Fact]
    public void The_timeline_columns_are_the_csv_header_in_order()
    {
        Assert.Equal(RunLog.CsvHeader.Split(','), TelemetryColumns.All.Select(c => c.Name));
        Assert.Null(TelemetryColumns.Records("loss curve"));
    }

    [Fact]
    public void A_card_shows_as_html_with_its_code_escaped()
    {
        var html = FaultCard.Of(LoopFault.ResumeWithoutScheduler).ToHtml();
        Assert.Contains("class=\"nbk-fault-card\"", html);
        Assert.Contains("LoopFault.ResumeWithoutScheduler =&gt; new(SchedulerPosition: false),", html);
        Assert.Contains("&quot;lr_scheduler&quot;", html);
        Assert.Contains("column lr:", FaultCard.Of(LoopFault.ResumeWithoutScheduler).ToString());
    }
}

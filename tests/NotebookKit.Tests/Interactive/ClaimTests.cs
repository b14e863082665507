using Microsoft.DotNet.Interactive.Formatting;
using NotebookKit.Exercises;
using NotebookKit.Interactive;

namespace NotebookKit.Tests.Interactive;

public class ClaimTests
{
    [Fact]
    public void A_claim_that_holds_displays_and_one_that_does_not_throws_with_its_statement()
    {
        Inline.Register();
        var claim = Claim.That(1 + 1 == 2, "two is <two>");
        Assert.Contains("✓ two is &lt;two&gt;", claim.ToDisplayString("text/html"));
        var error = Assert.Throws<ClaimFailedException>(() => Claim.That(false, "the loss stayed flat (start 3.1, end 3.1)"));
        Assert.Contains("the loss stayed flat (start 3.1, end 3.1)", error.Message);
    }

    [Fact]
    public void A_claim_with_bounds_holds_when_every_bound_holds_and_names_the_ones_that_failed()
    {
        Assert.Equal("loss fell", Claim.That("loss fell", Bound.Above("drop", 0.8, 0.5), Bound.Below("end", 2.0, 3.0)).Statement);
        var error = Assert.Throws<ClaimFailedException>(() => Claim.That("loss fell", Bound.Above("drop", 0.8, 0.5), Bound.Below("end", 3.5, 3.0)));
        Assert.Contains("loss fell", error.Message);
        Assert.Contains("end 3.5 below 3 (margin -16.7%)", error.Message);
        Assert.DoesNotContain("drop", error.Message);
        Assert.Throws<ArgumentException>(() => Claim.That("nothing to check"));
    }

    [Theory]
    [InlineData(0.8, 0.5, true, 0.6)]      // 0.3 of room above a limit of 0.5
    [InlineData(2.0, 3.0, false, 1.0 / 3)] // 1 of room below 3
    [InlineData(0.4, 0.5, true, -0.2)]     // failed by 0.1
    [InlineData(-0.25, 0.0, false, 0.25)]  // a limit of 0: the plain difference
    [InlineData(double.NaN, 1.0, true, -1)]
    [InlineData(double.NaN, 1.0, false, -1)]
    public void A_bounds_margin_is_its_room_as_a_fraction_of_the_limit(double value, double limit, bool above, double margin)
    {
        var bound = above ? Bound.Above("q", value, limit) : Bound.Below("q", value, limit);
        Assert.Equal(margin, bound.Margin, 12);
        Assert.Equal(margin > 0, bound.Holds);
    }

    [Fact]
    public void With_the_log_variable_set_every_bound_of_every_claim_is_appended_as_a_json_line()
    {
        var path = Path.Combine(Path.GetTempPath(), $"nbk-claims-{Guid.NewGuid():N}.jsonl");
        Environment.SetEnvironmentVariable(Claim.LogVariable, path);
        try
        {
            Claim.That("two bounds", Bound.Above("drop", 0.8, 0.5), Bound.Below("end", 2.0, 3.0));
            Assert.Throws<ClaimFailedException>(() => Claim.That(false, "an exact fact"));
            var records = File.ReadAllLines(path).Select(l => System.Text.Json.JsonSerializer.Deserialize<ClaimRecord>(l)!).ToArray();
            Assert.Equal(["drop", "end", "exact"], records.Select(r => r.Quantity));
            Assert.Equal([true, true, false], records.Select(r => r.Holds));
            Assert.Equal(0.6, records[0].Margin, 12);
            Assert.Equal("an exact fact", records[2].Statement);
        }
        finally
        {
            Environment.SetEnvironmentVariable(Claim.LogVariable, null);
            File.Delete(path);
        }
    }

    [Fact]
    public void Feedback_displays_as_a_pass_or_fail_box()
    {
        Inline.Register();
        Assert.Contains("nbk-feedback pass", new Feedback("x", true, "ok").ToDisplayString("text/html"));
        Assert.Contains("nbk-feedback fail", new Feedback("x", false, "a < b").ToDisplayString("text/html"));
        Assert.Contains("a &lt; b", new Feedback("x", false, "a < b").ToDisplayString("text/html"));
    }
}

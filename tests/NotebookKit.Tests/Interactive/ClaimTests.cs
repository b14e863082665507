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
    public void Feedback_displays_as_a_pass_or_fail_box()
    {
        Inline.Register();
        Assert.Contains("nbk-feedback pass", new Feedback("x", true, "ok").ToDisplayString("text/html"));
        Assert.Contains("nbk-feedback fail", new Feedback("x", false, "a < b").ToDisplayString("text/html"));
        Assert.Contains("a &lt; b", new Feedback("x", false, "a < b").ToDisplayString("text/html"));
    }
}

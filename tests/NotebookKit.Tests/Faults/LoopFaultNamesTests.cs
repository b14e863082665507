using NotebookKit.Faults;
using NotebookKit.Training;

namespace NotebookKit.Tests.Faults;

public class LoopFaultNamesTests
{
    [Theory]
    [InlineData(LoopFault.ZeroGradBeforeStep, "zero-grad-before-step")]
    [InlineData(LoopFault.SftMaskInverted, "sft-mask-inverted")]
    [InlineData(LoopFault.ResumeWithoutRngState, "resume-without-rng-state")]
    [InlineData(LoopFault.None, "none")]
    public void Names_are_the_enum_in_kebab_case_and_parse_back(LoopFault fault, string name)
    {
        Assert.Equal(name, fault.Name());
        Assert.Equal(fault, LoopFaultNames.Parse(name));
        Assert.Equal(fault, LoopFaultNames.Parse(name.ToUpperInvariant()));
    }

    [Fact]
    public void All_lists_the_twelve_faults_without_none()
    {
        Assert.Equal(12, LoopFaultNames.All.Count);
        Assert.DoesNotContain("none", LoopFaultNames.All);
        Assert.Equal(LoopFaultNames.All.Count, LoopFaultNames.All.Distinct().Count());
    }

    [Fact]
    public void An_unknown_name_lists_every_valid_one()
    {
        var error = Assert.Throws<ArgumentException>(() => LoopFaultNames.Parse("zero-grad-after-step"));
        Assert.Contains("fault 'zero-grad-after-step' is not known", error.Message);
        Assert.All(LoopFaultNames.All, name => Assert.Contains(name, error.Message));
    }
}

using NotebookKit.Training;

namespace NotebookKit.Faults;

/// <summary>One thing the doctor found in a timeline.</summary>
/// <param name="Name">The fault's name as <c>nbk train --fault</c> takes it (e.g. <c>zero-grad-before-step</c>),
/// or <see cref="LoopDoctor.Diverged"/>.</param>
/// <param name="Evidence">What in the timeline points there, in plain words with the numbers.</param>
public sealed record Finding(string Name, string Evidence)
{
    /// <summary><c>name: evidence</c>, the line <c>nbk doctor</c> prints.</summary>
    public override string ToString() => $"{Name}: {Evidence}";
}

/// <summary>What the doctor made of a timeline: the likely faults, or none.</summary>
/// <param name="Findings">The likely faults: <see cref="LoopDoctor.Diverged"/> first when the loss blew up, then faults in <see cref="LoopFault"/> order; empty when nothing looked wrong.</param>
/// <param name="Summary">One line describing the run as read (steps, loss, validation), printed in every report.</param>
public sealed record Diagnosis(IReadOnlyList<Finding> Findings, string Summary)
{
    /// <summary>True when no rule fired.</summary>
    public bool Healthy => Findings.Count == 0;

    /// <summary>The names of the findings, e.g. for a tool that wants to rerun them.</summary>
    public IReadOnlyList<string> Names => Findings.Select(f => f.Name).ToArray();

    /// <summary>The report: one <c>name: evidence</c> line per finding, or a line saying nothing looked wrong, then the summary.</summary>
    public override string ToString() =>
        (Healthy ? "healthy: no sign of any known fault" : string.Join("\n", Findings)) + "\n" + Summary;
}

using System.Text;
using NotebookKit.Training;

namespace NotebookKit.Faults;

/// <summary>
/// The names faults go by on the command line and in the doctor's report: the enum name in kebab case
/// (<see cref="LoopFault.ZeroGradBeforeStep"/> is <c>zero-grad-before-step</c>), so a tool can read a diagnosis
/// and pass it straight back to <c>nbk train --fault</c>.
/// </summary>
public static class LoopFaultNames
{
    /// <summary>Every fault's name, in the enum's order, without <see cref="LoopFault.None"/>.</summary>
    public static IReadOnlyList<string> All { get; } =
        Enum.GetValues<LoopFault>().Where(f => f != LoopFault.None).Select(Name).ToArray();

    /// <summary>The kebab-case name of <paramref name="fault"/>; <see cref="LoopFault.None"/> is <c>none</c>.</summary>
    public static string Name(this LoopFault fault)
    {
        var text = new StringBuilder();
        foreach (var c in fault.ToString())
        {
            if (char.IsUpper(c) && text.Length > 0) text.Append('-');
            text.Append(char.ToLowerInvariant(c));
        }
        return text.ToString();
    }

    /// <summary>The fault called <paramref name="name"/> (case-insensitive); <c>none</c> is the healthy loop.</summary>
    /// <exception cref="ArgumentException">No fault has that name; the message lists every valid name.</exception>
    public static LoopFault Parse(string name)
    {
        foreach (var fault in Enum.GetValues<LoopFault>())
            if (string.Equals(fault.Name(), name.Trim(), StringComparison.OrdinalIgnoreCase)) return fault;
        throw new ArgumentException($"fault '{name}' is not known: use one of {string.Join(", ", All)} (or none for the healthy loop)");
    }
}

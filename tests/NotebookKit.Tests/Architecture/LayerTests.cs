using NetArchTest.Rules;
using NotebookKit.Training;

namespace NotebookKit.Tests.Architecture;

/// <summary>
/// The library's namespaces form one chain in the order of the course (lib/NotebookKit/README.md): each may use
/// those before it and none after it, so the healthy loop never depends on the faults, charts or notebooks built on it.
/// </summary>
public class LayerTests
{
    /// <summary>Lowest first. Sub-namespaces (Text.OpsLog) belong to their parent's layer.</summary>
    public static readonly string[] Layers =
    [
        "Runtime", "Data", "Text", "Model", "Precision", "Telemetry", "Training", "Checkpoints", "Faults", "Charts",
        "Exercises", "Interactive", "Benchmarks",
    ];

    public static TheoryData<string> EachLayer => new(Layers);

    [Theory]
    [MemberData(nameof(EachLayer))]
    public void A_layer_uses_no_layer_above_it(string layer)
    {
        var above = Layers.SkipWhile(l => l != layer).Skip(1).Select(l => $"NotebookKit.{l}").ToArray();
        if (above.Length == 0) return;
        var result = Types.InAssembly(typeof(Trainer).Assembly)
            .That().ResideInNamespace($"NotebookKit.{layer}")
            .ShouldNot().HaveDependencyOnAny(above)
            .GetResult();
        var offenders = result.FailingTypeNames ?? [];
        Assert.True(result.IsSuccessful, $"NotebookKit.{layer} must not use {string.Join(", ", above)}, but {string.Join(", ", offenders)} do");
    }

    [Fact]
    public void The_check_sees_a_use_of_a_lower_layer_so_it_would_see_a_use_of_a_higher_one()
    {
        // The halfway drill saves and restores through Checkpoints: read the other way round, the rule must fail.
        var result = Types.InAssembly(typeof(Trainer).Assembly)
            .That().ResideInNamespace("NotebookKit.Faults")
            .ShouldNot().HaveDependencyOn("NotebookKit.Checkpoints")
            .GetResult();
        Assert.False(result.IsSuccessful);
        Assert.Contains("NotebookKit.Faults.ResumeDrill", result.FailingTypeNames);
    }

    [Fact]
    public void Every_namespace_of_the_library_is_in_the_chain()
    {
        var namespaces = typeof(Trainer).Assembly.GetTypes()
            .Select(t => t.Namespace)
            .OfType<string>()
            .Where(n => n.StartsWith("NotebookKit.", StringComparison.Ordinal))
            .Select(n => n.Split('.')[1])
            .Distinct()
            .Order()
            .ToArray();
        Assert.Equal(Layers.Order(), namespaces);
    }
}

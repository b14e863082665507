using Mono.Cecil;
using Mono.Cecil.Cil;
using NotebookKit.Benchmarks;
using NotebookKit.Training;
using static TorchSharp.torch;

namespace NotebookKit.Tests.Architecture;

/// <summary>
/// The library hands libtorch no Scalar that a garbage collection could free during the call (see
/// <c>Runtime/HeldScalars.cs</c>): every Scalar it makes from a number goes into a local or a static field before use,
/// and it calls no TorchSharp method that makes an unheld one itself (<c>a + b</c>, <c>t / 8</c>, AdamW's own step).
/// The rule is read from the compiled IL, so it covers code that no test happens to run under a collection.
/// </summary>
public class HeldScalarTests
{
    static readonly Lazy<HashSet<string>> Makers = new(() => TemporaryScalarMakers(Read(typeof(Tensor).Assembly.Location)));

    [Fact]
    public void The_library_passes_libtorch_only_held_scalars()
    {
        var offenders = Offenders(typeof(Trainer).Assembly.Location)
            .Where(o => !o.StartsWith(typeof(BareLoop).FullName + "::", StringComparison.Ordinal))  // deliberately plain TorchSharp: the reference the library is timed and checked against
            .ToArray();
        Assert.True(offenders.Length == 0, "unheld Scalars:\n" + string.Join("\n", offenders));
    }

    [Fact]
    public void The_check_sees_the_unheld_scalars_of_the_plain_torchsharp_loop()
    {
        var bare = Offenders(typeof(Trainer).Assembly.Location).Where(o => o.StartsWith(typeof(BareLoop).FullName + "::Step", StringComparison.Ordinal)).ToArray();
        Assert.Contains(bare, o => o.EndsWith("makes a Scalar and passes it on", StringComparison.Ordinal));          // loss * scale's number, in fp16
        Assert.Contains(bare, o => o.Contains("op_Multiply", StringComparison.Ordinal));                              // loss * scale itself: its alpha-free Scalar
    }

    [Theory]
    [InlineData("op_Addition")]   // a + b adds b times a fresh Scalar 1
    [InlineData("op_Division")]   // t / 8
    [InlineData("square")]        // pow(2)
    public void TorchSharp_methods_that_make_a_temporary_scalar_are_known(string name) =>
        Assert.Contains(Makers.Value, m => m.Contains($"Tensor::{name}(", StringComparison.Ordinal));

    [Fact]
    public void TorchSharp_s_own_AdamW_step_makes_temporary_scalars_and_NotebookKit_s_does_not()
    {
        Assert.Contains(Makers.Value, m => m.Contains("TorchSharp.Modules.AdamW::<step>", StringComparison.Ordinal));
        Assert.DoesNotContain(Offenders(typeof(Trainer).Assembly.Location), o => o.Contains(nameof(HeldScalarAdamW), StringComparison.Ordinal));
    }

    /// <summary>"method: what" for each unheld Scalar in the assembly at <paramref name="path"/>.</summary>
    static IEnumerable<string> Offenders(string path) =>
        from method in Bodies(Read(path))
        from what in Unheld(method).Concat(
            method.Body.Instructions.Where(i => i.Operand is MethodReference callee && Makers.Value.Contains(Name(callee)))
                .Select(i => $"calls {((MethodReference)i.Operand).FullName}, which makes one"))
        select $"{method.DeclaringType.FullName}::{method.Name}: {what}";

    /// <summary>TorchSharp methods that make a Scalar they do not hold, or call one that does, however deep.</summary>
    static HashSet<string> TemporaryScalarMakers(ModuleDefinition torchSharp)
    {
        var bodies = Bodies(torchSharp).ToArray();
        var makers = bodies.Where(m => Unheld(m).Any()).Select(Name).ToHashSet();
        for (var grew = true; grew;)
        {
            grew = false;
            foreach (var method in bodies)
                if (!makers.Contains(Name(method)) && method.Body.Instructions.Any(i => i.Operand is MethodReference callee && makers.Contains(Name(callee))))
                    grew = makers.Add(Name(method)) | grew;
        }
        return makers;
    }

    /// <summary>Each Scalar made from a number whose next instruction neither stores it (in a local for a using, or in a
    /// static field) nor returns it to a caller that will.</summary>
    static IEnumerable<string> Unheld(MethodDefinition method) =>
        from i in method.Body.Instructions
        where i.Operand is MethodReference { Name: "op_Implicit" or "ToScalar", ReturnType.FullName: "TorchSharp.Scalar" }
        where i.Next is not { OpCode.Code: Code.Stloc or Code.Stloc_S or Code.Stloc_0 or Code.Stloc_1 or Code.Stloc_2 or Code.Stloc_3 or Code.Stsfld or Code.Ret }
        select "makes a Scalar and passes it on";

    static IEnumerable<MethodDefinition> Bodies(ModuleDefinition module) =>
        module.GetTypes().SelectMany(t => t.Methods).Where(m => m.HasBody);

    /// <summary>The full signature of the method a call lands on, so that calls match definitions.</summary>
    static string Name(MethodReference method) => (method.Resolve() ?? method).FullName;

    static ModuleDefinition Read(string path)
    {
        var resolver = new DefaultAssemblyResolver();
        resolver.AddSearchDirectory(Path.GetDirectoryName(path)!);
        return ModuleDefinition.ReadModule(path, new ReaderParameters { AssemblyResolver = resolver });
    }
}

using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.Loader;

namespace NotebookKit.Runtime;

/// <summary>
/// Lets Plotly.NET run inside a host that has already loaded an older FSharp.Core, such as the
/// .NET Interactive kernel (Polyglot Notebooks, Jupyter's .NET kernel).
/// </summary>
/// <remarks>
/// Plotly.NET 6.0.0 is built against FSharp.Core 10.1, while the kernel tool 1.0.712001 ships and loads
/// FSharp.Core 10.0 for its own F# kernel. One process cannot hold two copies usefully (a second one makes
/// Plotly.NET's F# types disagree with the kernel's), so when, and only when, the host's FSharp.Core is older
/// than the one NotebookKit was built against, a request for FSharp.Core is answered with the copy already
/// loaded, and one line says so the first time. Every chart the course draws is executed this way in the real kernel by the
/// kernel tests (tests/NotebookKit.Notebooks.Tests/Kernel). In hosts that carry the newer FSharp.Core
/// (nbk, the tests, any ordinary app) nothing is installed.
/// </remarks>
internal static class FSharpCoreBinding
{
    const string Name = "FSharp.Core";

#pragma warning disable CA2255 // a library initializer is the point: it must run before Plotly.NET's first call
    [ModuleInitializer]
    internal static void Install()
    {
        // The host's own copy is one of its trusted platform assemblies; a copy that came with NuGet is not.
        var hosts = ((AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES") as string) ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .FirstOrDefault(p => Path.GetFileNameWithoutExtension(p) == Name);
        if (hosts is null || AssemblyName.GetAssemblyName(hosts).Version is not { } have) return;
        var said = 0;
        AssemblyLoadContext.Default.Resolving += (context, requested) =>
        {
            // Reached only when the ordinary bind failed, that is when a newer FSharp.Core was asked for.
            if (requested.Name != Name || requested.Version is not { } wanted || wanted <= have) return null;
            if (Interlocked.Exchange(ref said, 1) == 0)
                Console.Error.WriteLine($"NotebookKit: this host carries {Name} {have}, older than the {wanted} that Plotly.NET was built for; charts use the host's {Name}.");
            return context.LoadFromAssemblyPath(hosts);
        };
    }
#pragma warning restore CA2255
}

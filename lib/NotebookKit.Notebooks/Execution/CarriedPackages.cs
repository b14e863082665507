using System.Text.Json;

namespace NotebookKit.Notebooks.Execution;

/// <summary>One NuGet package (or project built as one, like NotebookKit itself) the runner ships, as its deps.json lists it.</summary>
/// <param name="Name">The package id as NuGet spells it.</param>
/// <param name="Version">The exact version shipped.</param>
/// <param name="Assemblies">File names of its managed assemblies (none for native-only packages such as libtorch).</param>
/// <param name="Dependencies">Ids of the packages it depends on.</param>
public sealed record CarriedPackage(string Name, string Version, IReadOnlyList<string> Assemblies, IReadOnlyList<string> Dependencies);

/// <summary>
/// The packages the running process ships, read from its own deps.json, so the answer to
/// "does the runner carry TorchSharp 0.107.0?" is always what was really built in, never a list kept by hand.
/// </summary>
public sealed class CarriedPackages
{
    readonly Dictionary<string, CarriedPackage> _byName;

    CarriedPackages(IEnumerable<CarriedPackage> packages) =>
        _byName = packages.ToDictionary(p => p.Name, StringComparer.OrdinalIgnoreCase);

    /// <summary>Every carried package, by name.</summary>
    public IEnumerable<CarriedPackage> All => _byName.Values.OrderBy(p => p.Name, StringComparer.OrdinalIgnoreCase);

    /// <summary>The package with this id (NuGet ids are case-insensitive), or null.</summary>
    public CarriedPackage? Find(string name) => _byName.GetValueOrDefault(name);

    /// <summary>The package and every package it depends on, transitively.</summary>
    public IEnumerable<CarriedPackage> WithDependencies(CarriedPackage package)
    {
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var pending = new Stack<CarriedPackage>([package]);
        while (pending.TryPop(out var next))
        {
            if (!seen.Add(next.Name)) continue;
            yield return next;
            foreach (var dependency in next.Dependencies)
                if (Find(dependency) is { } found) pending.Push(found);
        }
    }

    /// <summary>Reads the deps.json of the running process (the one the host was started with).</summary>
    public static CarriedPackages OfCurrentProcess()
    {
        var depsFile = (AppContext.GetData("APP_CONTEXT_DEPS_FILES") as string)?.Split(';', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException("this process was started without a deps.json, so the packages it carries are unknown: run nbk from its build output");
        return Read(depsFile);
    }

    /// <summary>Reads the packages a deps.json lists for its runtime target.</summary>
    public static CarriedPackages Read(string depsJsonPath)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(depsJsonPath));
        var root = doc.RootElement;
        // The RID-specific target (e.g. ".NETCoreApp,Version=v10.0/linux-x64") lists the assets actually copied.
        var target = root.GetProperty("targets").EnumerateObject().OrderByDescending(t => t.Name.Contains('/')).First().Value;
        var packages = new List<CarriedPackage>();
        foreach (var library in root.GetProperty("libraries").EnumerateObject())
        {
            // Projects count too: notebooks ask for the NotebookKit library by its package id and version.
            if (library.Value.GetProperty("type").GetString() is not ("package" or "project")) continue;
            var slash = library.Name.IndexOf('/');
            var assemblies = new List<string>();
            var dependencies = new List<string>();
            if (target.TryGetProperty(library.Name, out var assets))
            {
                if (assets.TryGetProperty("runtime", out var runtime))
                    assemblies.AddRange(runtime.EnumerateObject().Select(r => Path.GetFileName(r.Name)));
                if (assets.TryGetProperty("dependencies", out var deps))
                    dependencies.AddRange(deps.EnumerateObject().Select(d => d.Name));
            }
            packages.Add(new CarriedPackage(library.Name[..slash], library.Name[(slash + 1)..], assemblies, dependencies));
        }
        return new CarriedPackages(packages);
    }
}

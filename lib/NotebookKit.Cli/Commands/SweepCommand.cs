using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using NotebookKit.Interactive;
using NotebookKit.Notebooks.Execution;
using NotebookKit.Notebooks.Parsing;

namespace NotebookKit.Cli.Commands;

/// <summary>
/// <c>nbk sweep PATH...</c>: runs notebooks over seeds, torch thread counts and the CPU kernels libtorch would pick on
/// other machines, and prints every claim's margin: how far each bound was from failing, at worst. A claim that holds
/// on one run of one CPU is not yet a claim; this is how the course checks that its claims hold on a learner's machine.
/// Exit codes: 0 every run passed, 1 a claim or cell failed, 2 bad usage.
/// </summary>
public static class SweepCommand
{
    /// <summary>
    /// The CPU kernel choices one machine can imitate: libtorch's own kernels capped at a capability
    /// (<c>ATEN_CPU_CAPABILITY</c>), and oneDNN's (matmuls, convolutions) capped at AVX2 (<c>ONEDNN_MAX_CPU_ISA</c>).
    /// <c>native</c> changes nothing. A capability above what the CPU has is ignored by libtorch.
    /// </summary>
    static readonly Dictionary<string, (string Variable, string Value)[]> Kernels = new()
    {
        ["native"] = [],
        ["default"] = [("ATEN_CPU_CAPABILITY", "default")],
        ["avx2"] = [("ATEN_CPU_CAPABILITY", "avx2")],
        ["avx512"] = [("ATEN_CPU_CAPABILITY", "avx512")],
        ["onednn-avx2"] = [("ONEDNN_MAX_CPU_ISA", "AVX2")],
    };

    /// <summary>Creates the command.</summary>
    public static Command Create()
    {
        var paths = new Argument<string[]>("paths") { Description = ".dib files or folders (a folder runs every *.dib in it, in name order).", Arity = ArgumentArity.OneOrMore };
        var seeds = new Option<string>("--seeds") { Description = "Comma-separated values for each notebook's 'seed' parameter; a notebook without one runs once per other setting.", DefaultValueFactory = _ => "1418,1,2,3,4" };
        var threads = new Option<string>("--threads") { Description = "Comma-separated torch thread counts (set through OMP_NUM_THREADS).", DefaultValueFactory = _ => "1,2" };
        var cpus = new Option<string>("--cpu") { Description = $"Comma-separated CPU kernel choices: {string.Join(", ", Kernels.Keys)}.", DefaultValueFactory = _ => "default,avx2,avx512,onednn-avx2" };
        var parameters = new Option<string[]>("--param") { Description = "name=value overriding a default in each notebook's // parameters cell, in every run; repeat for more." };
        var solutions = new Option<bool>("--solutions") { Description = "Run the reference solutions in place of the exercise cells." };
        var timeout = new Option<int>("--cell-timeout") { Description = "Seconds a single cell may run.", DefaultValueFactory = _ => 300 };
        var command = new Command("sweep", "Run notebooks over seeds x threads x CPU kernels and print every claim's worst margin (how far it was from failing).")
            { paths, seeds, threads, cpus, parameters, solutions, timeout };
        command.SetAction(parse => CliError.Guard(() =>
        {
            var seedList = ParseList(parse.GetValue(seeds)!, "--seeds", s => long.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out _)).Select(long.Parse).ToList();
            var threadList = ParseList(parse.GetValue(threads)!, "--threads", s => int.TryParse(s, out var v) && v > 0).Select(int.Parse).ToList();
            var cpuList = ParseList(parse.GetValue(cpus)!, "--cpu", Kernels.ContainsKey);
            var overrides = parse.GetValue(parameters) ?? [];
            var withSolutions = parse.GetValue(solutions);
            var notebooks = RunCommand.FindNotebooks(parse.GetValue(paths)!).Select(path => CliError.Input(() => DibParser.Load(path))).ToList();
            foreach (var notebook in notebooks) CliError.Input(() => RunPlan.Create(notebook, overrides, withSolutions));
            return Sweep(notebooks, seedList, threadList, cpuList, overrides, withSolutions, TimeSpan.FromSeconds(parse.GetValue(timeout)));
        }));
        return command;
    }

    static List<string> ParseList(string text, string option, Func<string, bool> valid)
    {
        var items = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (items.Length == 0) throw new CliError($"{option} '{text}' is empty: give one or more comma-separated values");
        return items.Select(i => valid(i) ? i : throw new CliError($"{option} value '{i}' is not valid: see nbk sweep --help")).ToList();
    }

    /// <summary>One setting of the sweep, as printed: <c>cpu=avx2 threads=1 seed=3</c>.</summary>
    sealed record Setting(string Cpu, int Threads, long? Seed)
    {
        public override string ToString() => $"cpu={Cpu} threads={Threads}" + (Seed is { } s ? $" seed={s}" : "");
    }

    static int Sweep(List<Notebook> notebooks, List<long> seeds, List<int> threads, List<string> cpus, string[] overrides, bool withSolutions, TimeSpan cellTimeout)
    {
        var launcher = RunCommand.SelfLauncher();
        var failures = 0;
        var summary = new List<string>();
        foreach (var notebook in notebooks)
        {
            var seeded = RunPlan.DeclaresParameter(notebook, "seed");
            var settings = (from cpu in cpus from t in threads from s in seeded ? seeds.Select(s => (long?)s) : [null] select new Setting(cpu, t, s)).ToList();
            var records = new List<(Setting Setting, ClaimRecord Record)>();
            var failedRuns = 0;
            foreach (var setting in settings)
            {
                var log = Path.Combine(Path.GetTempPath(), $"nbk-sweep-{Guid.NewGuid():N}.jsonl");
                try
                {
                    var run = RunWith(notebook, setting, log, overrides, withSolutions, cellTimeout, launcher);
                    var claims = File.Exists(log) ? File.ReadAllLines(log).Select(l => JsonSerializer.Deserialize<ClaimRecord>(l)!).ToList() : [];
                    records.AddRange(claims.Select(c => (setting, c)));
                    var threadNote = ThreadsReported(run) switch
                    {
                        null => "; torch's thread count not reported (no Workbench.Describe() output)",
                        var ran when ran != setting.Threads => $"; torch ran {ran} threads, not {setting.Threads}",
                        var ran => $", torch threads {ran}",
                    };
                    var worst = claims.Where(c => c.Quantity != "exact").MinBy(c => c.Margin);
                    var error = run.Passed ? "" : " — " + FirstLine(run.Error ?? run.Results.FirstOrDefault(r => r.Error is not null)?.Error);
                    Console.WriteLine($"{notebook.Name} {setting}: {run.Outcome} in {run.DurationMs / 1000:0} s, {claims.Count} bounds" +
                                      (worst is null ? "" : $", worst {Pct(worst.Margin)} ({worst.Quantity})") + threadNote + error);
                    if (!run.Passed) failedRuns++;
                }
                finally
                {
                    File.Delete(log);
                }
            }
            failures += failedRuns;
            Console.WriteLine();
            Console.WriteLine($"{notebook.Name}: worst margin per bound over {settings.Count} runs{(seeded ? "" : " (no seed parameter: one run per cpu and thread count)")}");
            foreach (var group in records.GroupBy(r => r.Record.Quantity).OrderBy(g => g.Min(r => r.Record.Margin)))
            {
                var worst = group.MinBy(r => r.Record.Margin);
                var failed = group.Count(r => !r.Record.Holds);
                var shown = group.Key == "exact" ? (failed == 0 ? "holds" : "FAILS") : Pct(worst.Record.Margin);
                Console.WriteLine($"  {shown,8}  {group.Key}" + (group.Key == "exact" ? $" ({group.Select(r => r.Record.Statement).Distinct().Count()} statements)" : $" = {worst.Record.Value:G4} vs {worst.Record.Limit:G4} at {worst.Setting}") +
                                  (failed > 0 ? $", failed {failed} of {group.Count()}" : ""));
            }
            var numeric = records.Where(r => r.Record.Quantity != "exact").ToList();
            var line = numeric.Count == 0
                ? $"{notebook.Name}: no measured bounds; {failedRuns} of {settings.Count} runs failed"
                : $"{notebook.Name}: worst margin {Pct(numeric.Min(r => r.Record.Margin))} ({numeric.MinBy(r => r.Record.Margin).Record.Quantity}); {failedRuns} of {settings.Count} runs failed";
            summary.Add(line);
            Console.WriteLine();
        }
        Console.WriteLine("worst margin per notebook:");
        foreach (var line in summary) Console.WriteLine("  " + line);
        return failures == 0 ? 0 : 1;
    }

    static NotebookRun RunWith(Notebook notebook, Setting setting, string log, string[] overrides, bool withSolutions, TimeSpan cellTimeout, ChildLauncher launcher)
    {
        // The notebook's process inherits these; the sweep runs one notebook at a time, so setting them here is safe.
        string[] touched = ["ATEN_CPU_CAPABILITY", "ONEDNN_MAX_CPU_ISA", "OMP_NUM_THREADS", "MKL_NUM_THREADS", Claim.LogVariable];
        var saved = touched.ToDictionary(v => v, Environment.GetEnvironmentVariable);
        try
        {
            foreach (var (variable, value) in Kernels[setting.Cpu]) Environment.SetEnvironmentVariable(variable, value);
            Environment.SetEnvironmentVariable("OMP_NUM_THREADS", setting.Threads.ToString(CultureInfo.InvariantCulture));
            Environment.SetEnvironmentVariable("MKL_NUM_THREADS", setting.Threads.ToString(CultureInfo.InvariantCulture));
            Environment.SetEnvironmentVariable(Claim.LogVariable, log);
            string[] parameters = setting.Seed is { } seed ? [.. overrides, $"seed={seed}"] : overrides;
            return NotebookProcess.RunAsync(notebook, parameters, cellTimeout, launcher, withSolutions: withSolutions).GetAwaiter().GetResult();
        }
        finally
        {
            foreach (var (variable, value) in saved) Environment.SetEnvironmentVariable(variable, value);
        }
    }

    /// <summary>The thread count the notebook's <c>Workbench.Describe()</c> line reported ("..., 2 threads, ..."), or null when it printed none.</summary>
    static int? ThreadsReported(NotebookRun run) =>
        run.Outputs.Select(o => Regex.Match(o.Text, @", (\d+) threads,")).FirstOrDefault(m => m.Success) is { } m ? int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) : null;

    static string FirstLine(string? text) => text?.Split('\n')[0] ?? "";

    static string Pct(double margin) => margin.ToString("+0.0%;-0.0%", CultureInfo.InvariantCulture);
}

using System.CommandLine;
using NotebookKit.Notebooks.Execution;
using NotebookKit.Notebooks.Parsing;
using NotebookKit.Notebooks.Report;
using Spectre.Console;

namespace NotebookKit.Cli.Commands;

/// <summary>
/// <c>nbk run PATH...</c>: runs notebooks headless, each in its own process, and writes the HTML report.
/// Exit codes: 0 every cell passed, 1 a cell failed, 2 bad usage or a notebook that does not parse,
/// 3 a cell was stopped by the timeout.
/// </summary>
public static class RunCommand
{
    /// <summary>Creates the command.</summary>
    public static Command Create()
    {
        var paths = new Argument<string[]>("paths") { Description = ".dib files or folders (a folder runs every *.dib in it, in name order).", Arity = ArgumentArity.OneOrMore };
        var report = new Option<string>("--report") { Description = "Folder for the HTML report (index.html plus one page per notebook).", DefaultValueFactory = _ => Path.Combine("artifacts", "report") };
        var trx = new Option<string?>("--trx") { Description = "Also write a TRX test results file with one test per notebook." };
        var timeout = new Option<int>("--cell-timeout") { Description = "Seconds a single cell may run before its notebook is stopped (default 300: the longest training cell takes about ten seconds on 2 cores).", DefaultValueFactory = _ => 300 };
        var jobs = new Option<int>("--jobs") { Description = "Notebooks run at the same time (default 1: training cells already use both cores of a small machine).", DefaultValueFactory = _ => 1 };
        var parameters = new Option<string[]>("--param") { Description = "name=value overriding a default in each notebook's // parameters cell; repeat for more." };
        var solutions = new Option<bool>("--solutions") { Description = "Run each notebook with its reference solutions (notebooks/solutions/NAME.dib) in place of the exercise cells." };
        var command = new Command("run", "Run .dib notebooks headless, each in its own process, and write an offline HTML report.") { paths, report, trx, timeout, jobs, parameters, solutions };
        command.SetAction(parse => CliError.Guard(() =>
        {
            var cellTimeout = parse.GetValue(timeout);
            if (cellTimeout < 1) throw new CliError($"--cell-timeout {cellTimeout} must be at least 1 second");
            var jobCount = parse.GetValue(jobs);
            if (jobCount < 1) throw new CliError($"--jobs {jobCount} must be at least 1");
            var overrides = parse.GetValue(parameters) ?? [];
            var notebooks = FindNotebooks(parse.GetValue(paths)!).Select(path => CliError.Input(() => DibParser.Load(path))).ToList();
            var withSolutions = parse.GetValue(solutions);
            foreach (var notebook in notebooks) CliError.Input(() => RunPlan.Create(notebook, overrides, withSolutions)); // rejects malformed --param or missing solutions before anything starts
            var trxPath = parse.GetValue(trx);
            if (trxPath is not null) OutputPath.File("--trx", trxPath);
            OutputPath.Folder("--report", parse.GetValue(report)!);
            var started = DateTimeOffset.Now;
            // The report (and the TRX file) grow as notebooks finish, so a run stopped halfway leaves what it has.
            var htmlReport = HtmlReport.Start(notebooks, parse.GetValue(report)!);
            var finished = new NotebookRun?[notebooks.Count];
            void Finished(int index, NotebookRun run)
            {
                htmlReport.Add(index, run);
                if (trxPath is null) return;
                lock (finished)
                {
                    finished[index] = run;
                    TrxWriter.Write(finished.OfType<NotebookRun>().ToList(), started, DateTimeOffset.Now, trxPath);
                }
            }
            var runs = RunAll(notebooks, overrides, TimeSpan.FromSeconds(cellTimeout), jobCount, withSolutions, Finished);
            PrintSummary(runs, htmlReport.IndexPath);
            return runs.Any(r => r.TimedOut) ? 3 : runs.All(r => r.Passed) ? 0 : 1;
        }));
        return command;
    }

    /// <summary>The notebooks named by the arguments: files as given, folders expanded to their *.dib files in name order.</summary>
    internal static List<string> FindNotebooks(IEnumerable<string> paths)
    {
        var files = new List<string>();
        foreach (var path in paths)
        {
            if (Directory.Exists(path))
            {
                var found = Directory.GetFiles(path, "*.dib").OrderBy(Path.GetFileName, StringComparer.Ordinal).ToList();
                if (found.Count == 0) throw new CliError($"{path} holds no .dib notebooks: pass a folder with notebooks or .dib files");
                files.AddRange(found);
            }
            else files.Add(path);
        }
        return files;
    }

    static List<NotebookRun> RunAll(List<Notebook> notebooks, string[] overrides, TimeSpan cellTimeout, int jobs, bool withSolutions, Action<int, NotebookRun> onFinished)
    {
        var launcher = SelfLauncher();
        var runs = new NotebookRun[notebooks.Count];
        async Task RunWith(Action<int, NotebookProgress> report, Action<int, NotebookRun> finished)
        {
            using var slots = new SemaphoreSlim(jobs);
            await Task.WhenAll(notebooks.Select(async (notebook, i) =>
            {
                await slots.WaitAsync();
                try
                {
                    runs[i] = await NotebookProcess.RunAsync(notebook, overrides, cellTimeout, launcher, p => report(i, p), withSolutions);
                    onFinished(i, runs[i]);
                    finished(i, runs[i]);
                }
                finally { slots.Release(); }
            }));
        }

        if (AnsiConsole.Profile.Capabilities.Interactive)
        {
            AnsiConsole.Progress()
                .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new ElapsedTimeColumn())
                .Start(ctx =>
                {
                    var tasks = notebooks.Select(n => ctx.AddTask(Markup.Escape(n.Name), autoStart: false, maxValue: Math.Max(1, n.Cells.Count))).ToArray();
                    RunWith(
                        (i, p) =>
                        {
                            if (!tasks[i].IsStarted) tasks[i].StartTask();
                            tasks[i].MaxValue = Math.Max(1, p.Cells);
                            tasks[i].Value = Math.Max(0, p.Cell - 1);
                            tasks[i].Description = Markup.Escape($"{p.Notebook}  cell {p.Cell}/{p.Cells}");
                        },
                        (i, run) =>
                        {
                            tasks[i].Description = $"{Markup.Escape(run.Notebook.Name)}  [{(run.Passed ? "green" : "red")}]{run.Outcome}[/]";
                            tasks[i].Value = tasks[i].MaxValue;
                            tasks[i].StopTask();
                        }).GetAwaiter().GetResult();
                });
        }
        else
        {
            RunWith(
                (_, p) => Console.WriteLine(p.Cell == 0 ? $"{p.Notebook}: starting" : $"{p.Notebook}: cell {p.Cell}/{p.Cells}"),
                (_, run) => Console.WriteLine($"{run.Notebook.Name}: {run.Outcome} in {run.DurationMs / 1000:0.0} s")).GetAwaiter().GetResult();
        }
        return runs.ToList();
    }

    /// <summary>Starts this same nbk (apphost, or nbk.dll under dotnet) with the hidden per-notebook subcommand.</summary>
    internal static ChildLauncher SelfLauncher()
    {
        var self = Environment.ProcessPath ?? throw new CliError("cannot tell which executable is running nbk, so notebooks cannot be started in their own processes");
        return Path.GetFileNameWithoutExtension(self) == "dotnet"
            ? new ChildLauncher(self, [typeof(RunCommand).Assembly.Location, RunNotebookCommand.Name])
            : new ChildLauncher(self, [RunNotebookCommand.Name]);
    }

    static void PrintSummary(List<NotebookRun> runs, string index)
    {
        foreach (var run in runs)
        {
            Console.WriteLine($"{run.Notebook.Name}: {run.Outcome} in {run.DurationMs / 1000:0.0} s (overhead {run.OverheadMs / 1000:0.0} s)");
            var failure = run.Error ?? run.Results.FirstOrDefault(r => r.Error is not null)?.Error;
            if (failure is not null && !run.Passed) Console.WriteLine("  " + failure.Replace("\n", "\n  "));
        }
        Console.WriteLine($"report: {Path.GetFullPath(index)}");
    }
}

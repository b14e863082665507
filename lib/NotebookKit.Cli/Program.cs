using System.CommandLine;
using NotebookKit.Cli.Commands;

var root = new RootCommand("nbk: NotebookKit's command line. Runs the course's notebooks headless, trains tiny language models, benchmarks the loop.")
{
    RunCommand.Create(),
    RunNotebookCommand.Create(),
    ParseCommand.Create(),
    IpynbCommand.Create(),
    TrainCommand.Create(),
    CorpusCommand.Create(),
    DoctorCommand.Create(),
    BenchCommand.Create(),
    SweepCommand.Create(),
};
var parsed = root.Parse(args);
if (parsed.Errors.Count > 0)
{
    // Usage errors exit with 2, like every other bad input nbk reports.
    foreach (var error in parsed.Errors) Console.Error.WriteLine($"nbk: {error.Message}");
    return 2;
}
return parsed.Invoke();

using System.CommandLine;
using NotebookKit.Cli.Commands;

var root = new RootCommand("nbk: NotebookKit's command line. Runs the course's notebooks headless, trains tiny language models, benchmarks the loop.")
{
    DoctorCommand.Create(),
};
return root.Parse(args).Invoke();

using System.CommandLine;

var root = new RootCommand("nbk: NotebookKit's command line. Runs the course's notebooks headless, trains tiny language models, benchmarks the loop.")
{
};
return root.Parse(args).Invoke();

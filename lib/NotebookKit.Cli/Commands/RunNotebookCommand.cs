using System.CommandLine;
using NotebookKit.Notebooks.Execution;

namespace NotebookKit.Cli.Commands;

/// <summary>
/// The hidden <c>nbk run-notebook FILE</c>: the per-notebook process that <c>nbk run</c> starts. It runs
/// one notebook and streams events on stdout; people use <c>nbk run</c> instead.
/// </summary>
public static class RunNotebookCommand
{
    /// <summary>The subcommand's name, used by <see cref="RunCommand"/> to start it.</summary>
    public const string Name = "run-notebook";

    /// <summary>Creates the command.</summary>
    public static Command Create()
    {
        var file = new Argument<string>("file") { Description = "The .dib notebook to run." };
        var parameters = new Option<string[]>("--param") { Description = "name=value overrides for the notebook's // parameters cell." };
        var solutions = new Option<bool>("--solutions") { Description = "Run the reference solutions in place of the exercise cells." };
        var command = new Command(Name, "Run one notebook and stream its events (used by nbk run).") { file, parameters, solutions };
        command.Hidden = true;
        command.SetAction(parse =>
        {
            // The real stdout carries only the event stream: cells' console output is captured per cell, and
            // anything written outside a cell (a background thread, a library's log line) goes to stderr.
            var protocol = new StreamWriter(Console.OpenStandardOutput()) { AutoFlush = true };
            Console.SetOut(Console.Error);
            NotebookChild.RunAsync(parse.GetValue(file)!, parse.GetValue(parameters) ?? [], parse.GetValue(solutions), protocol).GetAwaiter().GetResult();
            return 0;
        });
        return command;
    }
}

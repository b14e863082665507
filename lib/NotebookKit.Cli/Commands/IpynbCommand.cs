using System.CommandLine;
using NotebookKit.Notebooks.Execution;
using NotebookKit.Notebooks.Parsing;

namespace NotebookKit.Cli.Commands;

/// <summary>
/// <c>nbk ipynb PATH...</c>: writes the Jupyter twin (NAME.ipynb, no outputs) beside each .dib notebook;
/// <c>--check</c> only compares and exits 1 naming every twin that is missing or out of date;
/// <c>--solutions --out DIR</c> writes each notebook with its reference solutions merged into DIR instead.
/// </summary>
public static class IpynbCommand
{
    /// <summary>Creates the command.</summary>
    public static Command Create()
    {
        var paths = new Argument<string[]>("paths") { Description = ".dib files or folders (a folder means every *.dib in it).", Arity = ArgumentArity.OneOrMore };
        var check = new Option<bool>("--check") { Description = "Write nothing; exit 1 if a twin is missing or differs from what its .dib gives." };
        var solutions = new Option<bool>("--solutions") { Description = "Merge the reference solutions (notebooks/solutions/NAME.dib) into the exercise cells; needs --out." };
        var output = new Option<string?>("--out") { Description = "Folder to write the .ipynb files to, instead of beside each .dib." };
        var command = new Command("ipynb", "Write the Jupyter twin (.ipynb without outputs) of each .dib notebook, or check that the twins are in sync.") { paths, check, solutions, output };
        command.SetAction(parse => CliError.Guard(() =>
        {
            var withSolutions = parse.GetValue(solutions);
            var folder = parse.GetValue(output);
            if (withSolutions && folder is null) throw new CliError("--solutions writes notebooks that are not the committed twins: give --out FOLDER");
            if (parse.GetValue(check) && folder is not null) throw new CliError("--check compares the twins beside each .dib: drop --out");
            if (folder is not null) OutputPath.Folder("--out", folder);
            var stale = new List<string>();
            foreach (var notebook in RunCommand.FindNotebooks(parse.GetValue(paths)!).Select(path => CliError.Input(() => DibParser.Load(path))))
            {
                var json = JupyterTwin.ToJson(CliError.Input(() => RunPlan.Create(notebook, [], withSolutions)));
                var target = folder is null ? JupyterTwin.PathFor(notebook.Path) : Path.Combine(folder, Path.GetFileName(JupyterTwin.PathFor(notebook.Path)));
                if (parse.GetValue(check))
                {
                    if (!File.Exists(target) || File.ReadAllText(target) != json) stale.Add(target);
                    continue;
                }
                Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(target))!);
                File.WriteAllText(target, json);
                Console.WriteLine(target);
            }
            if (stale.Count == 0) return 0;
            Console.Error.WriteLine($"nbk: {stale.Count} Jupyter twin(s) missing or out of date: {string.Join(", ", stale)}; run: nbk ipynb notebooks");
            return 1;
        }));
        return command;
    }
}

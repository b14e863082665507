using System.CommandLine;
using System.Text.Json;
using NotebookKit.Notebooks.Parsing;

namespace NotebookKit.Cli.Commands;

/// <summary><c>nbk parse FILE.dib</c>: prints the notebook's cells as JSON, as the runner sees them.</summary>
public static class ParseCommand
{
    static readonly JsonSerializerOptions Json = new() { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Creates the command.</summary>
    public static Command Create()
    {
        var file = new Argument<string>("file") { Description = "The .dib notebook to read." };
        var command = new Command("parse", "Print a .dib notebook's cells as a JSON array of {\"kernel\": ..., \"source\": ...}, split by the same rules as Polyglot Notebooks.") { file };
        command.SetAction(parse => CliError.Guard(() =>
        {
            var notebook = CliError.Input(() => DibParser.Load(parse.GetValue(file)!));
            Console.WriteLine(JsonSerializer.Serialize(notebook.Cells.Select(c => new { kernel = c.Kernel, source = c.Source }), Json));
            return 0;
        }));
        return command;
    }
}

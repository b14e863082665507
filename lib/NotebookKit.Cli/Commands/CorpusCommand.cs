using System.CommandLine;
using System.Globalization;
using NotebookKit.Text;
using NotebookKit.Text.OpsLog;

namespace NotebookKit.Cli.Commands;

/// <summary><c>nbk corpus</c>: regenerates the course's corpus files byte for byte and prints their entropy floor.</summary>
public static class CorpusCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var outOption = new Option<string>("--out")
        {
            Description = "Folder to write train.txt, validation.txt and sft.jsonl into",
            DefaultValueFactory = _ => "data",
        };
        var command = new Command("corpus", "Regenerate the operations-log corpus (train, validation, SFT pairs) and print the exact entropy of the validation text") { outOption };
        command.SetAction(parse => CliError.Guard(() =>
        {
            var directory = parse.GetValue(outOption)!;
            OutputPath.Folder("--out", directory);
            var validation = CliError.Input(() => OpsLogCorpus.WriteAll(directory));
            foreach (var name in OpsLogCorpus.FileNames)
            {
                var path = Path.Combine(directory, name);
                Console.WriteLine($"wrote {path} ({new FileInfo(path).Length:N0} bytes)");
            }
            var alphabet = CharTokenizer.FromText(TextFile.ReadCorpus(Path.Combine(directory, OpsLogCorpus.FileNames[0])));
            Console.WriteLine($"alphabet={alphabet.VocabSize} characters");
            Console.WriteLine($"entropy_floor={validation.NatsPerChar.ToString("F4", CultureInfo.InvariantCulture)}");
            return 0;
        }));
        return command;
    }
}

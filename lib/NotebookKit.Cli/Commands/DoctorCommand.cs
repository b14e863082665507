using System.CommandLine;
using NotebookKit.Faults;
using NotebookKit.Telemetry;
using NotebookKit.Training;

namespace NotebookKit.Cli.Commands;

/// <summary>
/// <c>nbk doctor TIMELINE.csv</c>: reads a timeline written by <c>nbk train --timeline</c> and names the likely
/// broken loop, each finding as <c>name: evidence</c> with the name <c>nbk train --fault</c> takes. What the run
/// was configured to do (warmup, accumulation, ranks, ...) comes from the JSON sidecar <c>nbk train</c> writes
/// beside the CSV (<c>run.csv</c> has <c>run.run.json</c>), or from <c>--run-info</c>.
/// </summary>
public static class DoctorCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var timeline = new Argument<string>("timeline") { Description = "Timeline CSV written by nbk train --timeline" };
        var runInfo = new Option<string?>("--run-info")
        {
            Description = "The run's settings as JSON; default: the sidecar beside the CSV (run.csv -> run.run.json) that nbk train --timeline writes",
        };
        var command = new Command("doctor", "Name the likely fault of a training run from its timeline: one 'name: evidence' line per finding " +
                                            "(names as nbk train --fault takes them, plus diverged for a loss that went NaN or blew up), or 'healthy: ...'. Exit code 0 when healthy, 1 when something was found.")
        {
            timeline,
            runInfo,
        };
        command.SetAction(parse => CliError.Guard(() =>
        {
            var path = parse.GetValue(timeline)!;
            var log = CliError.Input(() => RunLog.ReadCsv(path, entropyFloor: null));
            var info = CliError.Input(() => RunInfo.Load(parse.GetValue(runInfo) ?? RunInfo.SidecarPath(path)));
            var diagnosis = LoopDoctor.Diagnose(log, info);
            Console.WriteLine(diagnosis);
            return diagnosis.Healthy ? 0 : 1;
        }));
        return command;
    }
}

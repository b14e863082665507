using System.CommandLine;
using NotebookKit.Faults;
using NotebookKit.Telemetry;
using NotebookKit.Training;
using TorchSharp;

namespace NotebookKit.Cli;

/// <summary>
/// The log flags of <c>nbk train</c> (<c>--timeline</c>, <c>--tensorboard</c>): checked before any work, then written as
/// the run goes, a row per step, so a run that is stopped or killed keeps every step it finished.
/// </summary>
internal sealed class TrainLogs
{
    readonly Option<string?> _timeline = new("--timeline")
    {
        Description = "write the per-step timeline to this CSV file as the run goes, and the run's settings beside it (run.csv -> run.run.json) for nbk doctor",
    };

    readonly Option<string?> _tensorboard = new("--tensorboard") { Description = "write TensorBoard event files into this folder as the run goes" };

    /// <summary>Adds the two flags to <paramref name="command"/>.</summary>
    public void AddTo(Command command)
    {
        command.Options.Add(_timeline);
        command.Options.Add(_tensorboard);
    }

    /// <summary>The paths given, else those the resumed run wrote to; each checked writable now.</summary>
    /// <exception cref="CliError">A path cannot be written.</exception>
    public Plan Read(ParseResult parse, RunFile? saved)
    {
        var plan = new Plan(FullPath(parse.GetValue(_timeline)) ?? saved?.Timeline, FullPath(parse.GetValue(_tensorboard)) ?? saved?.TensorBoard);
        if (plan.Timeline is { } csv)
        {
            OutputPath.File("--timeline", csv);
            OutputPath.File("--timeline", RunInfo.SidecarPath(csv));
        }
        if (plan.TensorBoard is { } folder) OutputPath.Folder("--tensorboard", folder);
        return plan;
    }

    static string? FullPath(string? path) => path is null ? null : Path.GetFullPath(path);

    /// <summary>Where the logs go.</summary>
    /// <param name="Timeline">The timeline CSV, or null.</param>
    /// <param name="TensorBoard">The TensorBoard folder, or null.</param>
    internal sealed record Plan(string? Timeline, string? TensorBoard)
    {
        /// <summary>
        /// Before the first step: writes the run's settings beside the timeline, opens the timeline with the steps
        /// <paramref name="trainer"/> already has (a resumed run's), and opens a new TensorBoard event file. The restored
        /// steps go into it only when the folder holds no events yet; otherwise the earlier files already have them.
        /// </summary>
        public Writer Open(Trainer trainer, RunInfo info)
        {
            if (Timeline is { } csv) info.Save(RunInfo.SidecarPath(csv));
            var timeline = Timeline is null ? null : new TimelineCsvWriter(Timeline, trainer.Log.Steps);
            TorchSharp.Modules.SummaryWriter? events = null;
            if (TensorBoard is { } folder)
            {
                var fresh = !Directory.Exists(folder) || Directory.GetFiles(folder, "events.out.tfevents.*").Length == 0;
                events = torch.utils.tensorboard.SummaryWriter(folder);
                if (fresh) foreach (var step in trainer.Log.Steps) TensorBoardExport.Add(events, step);
            }
            return new Writer(timeline, events, TensorBoard);
        }
    }

    /// <summary>The open logs of one run.</summary>
    internal sealed class Writer(TimelineCsvWriter? timeline, TorchSharp.Modules.SummaryWriter? events, string? eventsFolder) : IDisposable
    {
        /// <summary>Writes one step to every log; the timeline goes to disk at every evaluation.</summary>
        public void Append(StepRecord step)
        {
            timeline?.Append(step);
            if (events is not null) TensorBoardExport.Add(events, step);
            if (step.ValLoss is not null) timeline?.Flush();
        }

        /// <summary>Where the logs are, for the last line of a stopped run; empty when there are none.</summary>
        public IEnumerable<string> Describe()
        {
            if (timeline is not null) yield return $"timeline {timeline.Path} ({timeline.Rows} steps)";
            if (eventsFolder is not null) yield return $"TensorBoard events in {eventsFolder}";
        }

        /// <summary>Flushes the timeline to disk and closes it.</summary>
        public void Dispose() => timeline?.Dispose();
    }
}

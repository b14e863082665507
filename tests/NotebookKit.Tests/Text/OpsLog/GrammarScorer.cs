using System.Globalization;
using System.Text.RegularExpressions;

namespace NotebookKit.Tests.Text.OpsLog;

/// <summary>
/// An independent reader of the operations log: parses the text line by line against the grammar
/// as data/README.md states it, with its own copy of the probabilities, and adds up -ln p of every
/// choice it finds. It shares no code with the generator, so a generator that writes something the
/// grammar does not allow, or counts its surprise wrongly, disagrees with it.
/// </summary>
static class GrammarScorer
{
    /// <param name="CopiedVersionDigits">Index of each digit of every version a line repeats from its deploy line.</param>
    public sealed record Score(double Nats, int Chars, int LongestReach, IReadOnlyList<int> CopiedVersionDigits);

    const string Services = "api|auth|cart|search|billing|mail|queue|web|cdn|db|cache|login|pay|feed|media|users";
    const string People = "ana|bo|cy|dee|eli|fay|gus|hal|ivy|jo|kai|lu|max|ned|oz|pia";
    const int ServiceCount = 16, PeopleCount = 16;

    static readonly Regex Timed = new(@"^(?<message>.*) at (?<hh>[01]\d|2[0-3]):(?<mm>[0-5]\d)$");
    static readonly Regex Metric = new($@"^(?<s>{Services}) cpu \d\d% mem \d\d% rps [1-9]\d\d p99 [1-9]\d\dms$");
    static readonly Regex Deploy = new($@"^deploy (?<s>{Services}) (?<v>v\d\.\d\.\d) #[0-9a-f]{{4}} by (?:{People})$");

    enum Expect { Event, AfterDeploy, AfterAlert, Rollback, RolledBack, Postmortem }

    /// <summary>Scores <paramref name="text"/>; throws when a line does not fit the grammar where it stands.</summary>
    public static Score Read(string text)
    {
        if (!text.EndsWith('\n')) throw new InvalidDataException("text must end with a newline");
        double nats = 0;
        var reach = 0;
        var copiedDigits = new List<int>();
        var expect = Expect.Event;
        string service = "", version = "";
        int serviceAt = -1, versionAt = -1; // absolute index of the latest occurrence
        int previousMinute = -1, previousTimeAt = -1;
        var lineStart = 0;
        foreach (var line in text[..^1].Split('\n'))
        {
            var timed = Timed.Match(line);
            if (!timed.Success) throw new InvalidDataException($"line at {lineStart} has no time: '{line}'");
            var message = timed.Groups["message"].Value;

            // Copies of the service and version: how far back the nearest earlier occurrence lies.
            void Copies(string field, ref int latest)
            {
                var fieldAt = message.IndexOf(field == service ? $"{field} " : field, StringComparison.Ordinal);
                if (fieldAt < 0) throw new InvalidDataException($"line at {lineStart} does not repeat '{field}': '{line}'");
                if (latest >= 0) reach = Math.Max(reach, lineStart + fieldAt + field.Length - 1 - latest);
                latest = lineStart + fieldAt;
                if (field == version)
                    for (var i = 0; i < field.Length; i++)
                        if (char.IsAsciiDigit(field[i])) copiedDigits.Add(latest + i);
            }

            switch (expect)
            {
                case Expect.Event:
                    var metric = Metric.Match(message);
                    var deploy = Deploy.Match(message);
                    if (metric.Success == deploy.Success) throw new InvalidDataException($"line at {lineStart} is not exactly one of metric or deploy: '{line}'");
                    nats += Math.Log(ServiceCount);
                    if (metric.Success)
                    {
                        nats += Math.Log(3.0 / 2) + 2 * Math.Log(100) + 2 * Math.Log(900);
                        break;
                    }
                    nats += Math.Log(3) + Math.Log(1000) + Math.Log(65536) + Math.Log(PeopleCount);
                    service = deploy.Groups["s"].Value;
                    version = deploy.Groups["v"].Value;
                    serviceAt = lineStart + deploy.Groups["s"].Index;
                    versionAt = lineStart + deploy.Groups["v"].Index;
                    expect = Expect.AfterDeploy;
                    break;
                case Expect.AfterDeploy:
                    var ok = Regex.Match(message, $@"^{service} {Regex.Escape(version)} ok p99 [1-9]\d\dms$");
                    var alert = Regex.Match(message, $@"^alert {service} {Regex.Escape(version)} (?:5xx|errors|timeouts|latency) [1-9]\d%, paged (?:{People})$");
                    if (ok.Success == alert.Success) throw new InvalidDataException($"line at {lineStart} is not exactly one of ok or alert for {service} {version}: '{line}'");
                    nats += Math.Log(2) + (ok.Success ? Math.Log(900) : Math.Log(4) + Math.Log(90) + Math.Log(PeopleCount));
                    Copies(service, ref serviceAt);
                    Copies(version, ref versionAt);
                    expect = ok.Success ? Expect.Event : Expect.AfterAlert;
                    break;
                case Expect.AfterAlert:
                    var cleared = message == $"alert {service} cleared";
                    var failed = message == $"{service} {version} failed";
                    if (cleared == failed) throw new InvalidDataException($"line at {lineStart} is not exactly one of cleared or failed for {service} {version}: '{line}'");
                    nats += cleared ? Math.Log(4) : Math.Log(4.0 / 3);
                    Copies(service, ref serviceAt);
                    if (failed) Copies(version, ref versionAt);
                    expect = cleared ? Expect.Event : Expect.Rollback;
                    break;
                case Expect.Rollback:
                    if (message != "Rollback started") throw new InvalidDataException($"line at {lineStart} should start the rollback: '{line}'");
                    expect = Expect.RolledBack;
                    break;
                case Expect.RolledBack:
                    if (!Regex.IsMatch(message, $@"^{service} rolled back in [1-9]\ds$")) throw new InvalidDataException($"line at {lineStart} should roll back {service}: '{line}'");
                    nats += Math.Log(90);
                    Copies(service, ref serviceAt);
                    expect = Expect.Postmortem;
                    break;
                case Expect.Postmortem:
                    if (!Regex.IsMatch(message, @"^postmortem [1-9]\d{3}: (?:bad config|memory leak|schema change|expired cert|bad flag|dns)$")) throw new InvalidDataException($"line at {lineStart} should be a postmortem: '{line}'");
                    nats += Math.Log(9000) + Math.Log(6);
                    expect = Expect.Event;
                    break;
            }

            // The time: uniform over the day for the first line, then 1 to 9 minutes after the previous one.
            var minute = int.Parse(timed.Groups["hh"].Value, CultureInfo.InvariantCulture) * 60 + int.Parse(timed.Groups["mm"].Value, CultureInfo.InvariantCulture);
            var timeAt = lineStart + timed.Groups["hh"].Index;
            if (previousMinute < 0) nats += Math.Log(24 * 60);
            else
            {
                var step = (minute - previousMinute + 24 * 60) % (24 * 60);
                if (step is < 1 or > 9) throw new InvalidDataException($"line at {lineStart} moves the clock {step} minutes: '{line}'");
                nats += Math.Log(9);
                reach = Math.Max(reach, timeAt + 4 - previousTimeAt);
            }
            previousMinute = minute;
            previousTimeAt = timeAt;
            lineStart += line.Length + 1;
        }
        if (expect != Expect.Event) throw new InvalidDataException($"text ends inside an incident (expecting {expect})");
        return new Score(nats, text.Length, reach, copiedDigits);
    }
}

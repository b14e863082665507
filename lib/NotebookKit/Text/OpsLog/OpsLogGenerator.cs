using System.Globalization;
using System.Text;

namespace NotebookKit.Text.OpsLog;

/// <summary>
/// Writes an operations log: a stream of service metrics and deploys; some deploys raise an alert,
/// most alerts end in a failed deploy, a rollback and a postmortem note. Every line ends with the
/// time it happened, and each line's time is the previous line's plus 1 to 9 minutes (wrapping at
/// midnight), so times increase through an incident.
/// </summary>
/// <remarks>
/// <para>The structure a model can learn: an incident's lines follow a fixed order (deploy, alert,
/// failed, "Rollback started at HH:MM", rolled back, postmortem); the service and version in a
/// rollback are the ones that failed; the rollback starts at the very minute its line is stamped.</para>
/// <para>Everything a line copies is within 64 characters before it: lines are at most about 45
/// characters, a time depends only on the previous line's time at that line's end, and a service
/// or version is copied from one of the two lines before (the longest reach, from a failed line to
/// the rolled-back line across "Rollback started", is under 64).</para>
/// <para>The text determines every choice: at each choice the possible outcomes write different
/// text (distinct first words, fixed-width numbers, distinct minutes), so the probability of the
/// text is the product of its choices' probabilities and <see cref="Dice.Nats"/> divided by the
/// character count is the exact entropy an ideal model would pay per character.</para>
/// </remarks>
sealed class OpsLogGenerator(long seed)
{
    /// <summary>Services; none is a prefix of another or of "deploy", "alert", "Rollback", "postmortem".</summary>
    public static readonly string[] Services = ["api", "auth", "cart", "search", "billing", "mail", "queue", "web", "cdn", "db", "cache", "login", "pay", "feed", "media", "users"];

    /// <summary>People who deploy and who get paged.</summary>
    public static readonly string[] People = ["ana", "bo", "cy", "dee", "eli", "fay", "gus", "hal", "ivy", "jo", "kai", "lu", "max", "ned", "oz", "pia"];

    /// <summary>What an alert measured.</summary>
    public static readonly string[] Symptoms = ["5xx", "errors", "timeouts", "latency"];

    /// <summary>Postmortem causes.</summary>
    public static readonly string[] Causes = ["bad config", "memory leak", "schema change", "expired cert", "bad flag", "dns"];

    readonly Dice _dice = new(seed);
    readonly StringBuilder _text = new();
    readonly List<int> _copiedVersionDigits = [];
    int _minute = -1;

    /// <summary>The text written so far.</summary>
    public string Text => _text.ToString();

    /// <summary>Characters written so far.</summary>
    public int Length => _text.Length;

    /// <summary>Information content of the text so far: the sum of -ln p of every choice, in nats.</summary>
    public double Nats => _dice.Nats;

    /// <summary>Where the text repeats a deployed version: the index of each of its three digits, in order.</summary>
    public IReadOnlyList<int> CopiedVersionDigits => _copiedVersionDigits;

    /// <summary>Writes one event: a metric line, or a deploy and everything that follows from it.</summary>
    public void WriteEvent()
    {
        var service = _dice.OneOf(Services);
        if (_dice.Chance(2, 3))
        {
            Line($"{service} cpu {_dice.Between(0, 99):D2}% mem {_dice.Between(0, 99):D2}% rps {_dice.Between(100, 999)} p99 {_dice.Between(100, 999)}ms");
            return;
        }
        var version = $"v{_dice.Between(0, 9)}.{_dice.Between(0, 9)}.{_dice.Between(0, 9)}";
        Line($"deploy {service} {version} #{_dice.Uniform(1 << 16):x4} by {_dice.OneOf(People)}");
        if (_dice.Chance(1, 2))
        {
            LineRepeating(version, $"{service} {version} ok p99 {_dice.Between(100, 999)}ms");
            return;
        }
        LineRepeating(version, $"alert {service} {version} {_dice.OneOf(Symptoms)} {_dice.Between(10, 99)}%, paged {_dice.OneOf(People)}");
        if (_dice.Chance(1, 4))
        {
            Line($"alert {service} cleared");
            return;
        }
        LineRepeating(version, $"{service} {version} failed");
        Line("Rollback started");
        Line($"{service} rolled back in {_dice.Between(10, 99)}s");
        Line($"postmortem {_dice.Between(1000, 9999)}: {_dice.OneOf(Causes)}");
    }

    /// <summary>Appends a line that repeats <paramref name="version"/> ("v1.2.3") from the deploy line, noting where its digits land.</summary>
    void LineRepeating(string version, string message)
    {
        var v = _text.Length + message.IndexOf(version, StringComparison.Ordinal);
        _copiedVersionDigits.AddRange([v + 1, v + 3, v + 5]);
        Line(message);
    }

    /// <summary>Appends "<paramref name="message"/> at HH:MM", the time moving on 1 to 9 minutes (the first line's time is uniform over the day).</summary>
    void Line(string message)
    {
        _minute = _minute < 0 ? _dice.Uniform(24 * 60) : (_minute + _dice.Between(1, 9)) % (24 * 60);
        _text.Append(message).Append(" at ").Append(CultureInfo.InvariantCulture, $"{_minute / 60:D2}:{_minute % 60:D2}").Append('\n');
    }
}

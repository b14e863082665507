using NotebookKit.Data;

namespace NotebookKit.Text.OpsLog;

/// <summary>
/// Instruction/response pairs about incidents, for supervised fine-tuning. The answer always
/// follows from the prompt (which service failed, what to roll back, whether a cleared alert needs
/// a rollback), so a model can learn it; every pair fits in 64 characters, the default context.
/// </summary>
static class OpsLogSft
{
    /// <summary><paramref name="count"/> pairs drawn from <paramref name="seed"/>.</summary>
    public static IReadOnlyList<SftExample> Generate(long seed, int count)
    {
        var dice = new Dice(seed);
        var pairs = new List<SftExample>(count);
        for (var i = 0; i < count; i++)
        {
            var service = dice.OneOf(OpsLogGenerator.Services);
            var version = $"v{dice.Between(0, 9)}.{dice.Between(0, 9)}.{dice.Between(0, 9)}";
            var minute = dice.Uniform(24 * 60);
            var time = $"{minute / 60:D2}:{minute % 60:D2}";
            pairs.Add(dice.Uniform(3) switch
            {
                0 => new SftExample($"{service} {version} failed at {time}. next:\n", $"roll back {service} {version}\n"),
                1 => new SftExample($"which service: {service} {version} failed at {time}\n", $"{service}\n"),
                _ => new SftExample($"alert {service} cleared at {time}. roll back:\n", $"no, {service} is ok\n"),
            });
        }
        return pairs;
    }
}

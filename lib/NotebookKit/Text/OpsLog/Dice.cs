using NotebookKit.Data;

namespace NotebookKit.Text.OpsLog;

/// <summary>
/// The only source of randomness of the corpus generator. Every choice has an exact probability
/// and the dice add up its surprise, -ln p, so the generator knows the information content of the
/// text it wrote. Draws are counter-based (draw i depends only on the seed and i), so the same seed
/// gives the same text on every machine and .NET version.
/// </summary>
sealed class Dice(long seed)
{
    long _counter;

    /// <summary>Sum of -ln p over every choice made so far, in nats.</summary>
    public double Nats { get; private set; }

    /// <summary>One of <paramref name="count"/> equally likely values, 0 to count - 1.</summary>
    public int Uniform(int count)
    {
        Nats += Math.Log(count);
        return CounterHash.Pick(seed, _counter++, count);
    }

    /// <summary>One of the <paramref name="items"/>, equally likely.</summary>
    public T OneOf<T>(IReadOnlyList<T> items) => items[Uniform(items.Count)];

    /// <summary>An integer from <paramref name="min"/> to <paramref name="max"/> inclusive, equally likely.</summary>
    public int Between(int min, int max) => min + Uniform(max - min + 1);

    /// <summary>True with probability <paramref name="numerator"/> / <paramref name="denominator"/>.</summary>
    public bool Chance(int numerator, int denominator)
    {
        var yes = CounterHash.Pick(seed, _counter++, denominator) < numerator;
        Nats -= Math.Log((yes ? numerator : denominator - numerator) / (double)denominator);
        return yes;
    }
}

using NotebookKit.Telemetry;

namespace NotebookKit.Tests.Telemetry;

public class MedianTests
{
    [Fact]
    public void An_odd_count_gives_its_middle_value_whatever_the_order() => Assert.Equal(3.0, Median.Of([9.0, 1.0, 3.0, -4.0, 100.0]));

    [Fact]
    public void An_even_count_gives_the_mean_of_its_two_middle_values() => Assert.Equal(2.5, Median.Of([4.0, 1.0, 2.0, 3.0]));

    [Fact]
    public void No_values_give_nan() => Assert.True(double.IsNaN(Median.Of([])));
}

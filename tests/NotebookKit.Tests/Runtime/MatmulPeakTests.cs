using NotebookKit.Runtime;
using static TorchSharp.torch;

namespace NotebookKit.Tests.Runtime;

public class MatmulPeakTests
{
    [Theory]
    [InlineData(ScalarType.Float32)]
    [InlineData(ScalarType.Float16)]
    [InlineData(ScalarType.BFloat16)]
    public void Measures_a_finite_rate_for_every_compute_type_and_keeps_it_for_the_process(ScalarType dtype)
    {
        var first = MatmulPeak.Gflops(CPU, dtype);
        Assert.True(double.IsFinite(first) && first > 0, $"{dtype}: {first} GFLOP/s");
        Assert.Equal(first, MatmulPeak.Gflops(CPU, dtype));
    }
}

using NotebookKit.Runtime;
using TorchSharp;

namespace NotebookKit.Tests.Runtime;

public class WorkbenchTests
{
    [Fact]
    public void TorchSharp_loads_and_computes()
    {
        Workbench.Seed(1);
        using var a = torch.tensor(new float[] { 1, 2, 3, 4 }).reshape(2, 2);
        using var product = a.matmul(a);
        Assert.Equal(new float[] { 7, 10, 15, 22 }, product.data<float>().ToArray());
        Assert.Contains("libtorch 2.10", Workbench.Describe());
    }

    [Fact]
    public void Unknown_device_names_the_value_and_the_choices()
    {
        var error = Assert.Throws<ArgumentException>(() => Workbench.ChooseDevice("tpu"));
        Assert.Contains("'tpu'", error.Message);
        Assert.Contains("auto, cpu or cuda", error.Message);
    }
}

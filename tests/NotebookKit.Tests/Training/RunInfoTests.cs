using NotebookKit.Faults;
using NotebookKit.Precision;
using NotebookKit.Training;

namespace NotebookKit.Tests.Training;

public class RunInfoTests
{
    [Fact]
    public void Sidecar_sits_beside_the_csv_and_round_trips()
    {
        var dir = Directory.CreateTempSubdirectory("nbk-runinfo").FullName;
        try
        {
            var csv = Path.Combine(dir, "run.csv");
            Assert.Equal(Path.Combine(dir, "run.run.json"), RunInfo.SidecarPath(csv));
            var info = new RunInfo(WarmupIters: 100, LearningRate: 1e-3, Accumulation: 8, Ranks: 2, ClipNorm: 0, Precision: PrecisionMode.Fp16Mixed, Dropout: 0.1, SftData: true);
            info.Save(RunInfo.SidecarPath(csv));
            Assert.Contains("\"precision\": \"Fp16Mixed\"", File.ReadAllText(RunInfo.SidecarPath(csv)));
            Assert.Equal(info, RunInfo.Load(RunInfo.SidecarPath(csv)));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void A_missing_or_broken_sidecar_names_the_file_and_the_fix()
    {
        var missing = Assert.Throws<FileNotFoundException>(() => RunInfo.Load("/nonexistent/run.run.json"));
        Assert.Contains("'/nonexistent/run.run.json' does not exist: nbk train --timeline writes it", missing.Message);
        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllText(path, "{ not json");
            var broken = Assert.Throws<InvalidDataException>(() => RunInfo.Load(path));
            Assert.Contains($"run information '{path}' is not valid", broken.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Theory]
    [InlineData("{}", "warmupIters")]
    [InlineData("{\"warmupIters\": 100}", "learningRate")]
    [InlineData("{\"warmupIters\": 100, \"learningRate\": 0}", "learningRate 0, which no run has")]
    [InlineData("{\"warmupIters\": 100, \"learningRate\": 0.001, \"accumulation\": 0}", "accumulation 0, which no run has")]
    public void Settings_that_are_missing_or_impossible_are_refused_naming_the_field(string json, string expected)
    {
        var dir = Directory.CreateTempSubdirectory("nbk-runinfo").FullName;
        try
        {
            var path = Path.Combine(dir, "run.run.json");
            File.WriteAllText(path, json);
            var error = Assert.Throws<InvalidDataException>(() => RunInfo.Load(path));
            Assert.StartsWith($"run information '{path}'", error.Message);
            Assert.Contains(expected, error.Message);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}

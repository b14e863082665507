using System.Diagnostics;
using System.Text.Json;

namespace NotebookKit.Notebooks.Tests.Kernel;

/// <summary>One output of an executed .ipynb cell.</summary>
/// <param name="Cell">The 0-based cell index.</param>
/// <param name="Type">Jupyter's output_type: stream, display_data, execute_result or error.</param>
/// <param name="Html">The text/html data, or null.</param>
/// <param name="Text">The text/plain data, the stream text, or the error's name and value.</param>
sealed record KernelOutput(int Cell, string Type, string? Html, string Text);

/// <summary>
/// Executes notebooks the way a learner's Jupyter does: <c>jupyter nbconvert --execute</c> with the registered
/// .NET (C#) kernel, which is the pinned <c>dotnet-interactive</c> tool, a fresh kernel process per notebook.
/// </summary>
static class Jupyter
{
    /// <summary>The kernelspec name the course's twins ask for, installed from <c>.config/jupyter-kernel</c>.</summary>
    public const string KernelName = ".net-csharp";

    /// <summary>What to do when the kernel is not installed, for failure messages.</summary>
    public const string Setup = "install the kernel as the README says: apt-get install jupyter-notebook jupyter-nbconvert python3-nbclient jupyter-client; " +
                                "dotnet tool restore; jupyter kernelspec install --user --name .net-csharp .config/jupyter-kernel";

    /// <summary>
    /// Executes <paramref name="notebook"/> (an .ipynb inside the repository, so the kernel's working folder finds the
    /// tool manifest) and returns every output, errors included, from the executed copy written to <paramref name="outputFolder"/>.
    /// </summary>
    public static IReadOnlyList<KernelOutput> Execute(string notebook, string outputFolder, TimeSpan timeout)
    {
        Directory.CreateDirectory(outputFolder);
        var start = new ProcessStartInfo("jupyter") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[]
                 {
                     "nbconvert", "--to", "notebook", "--execute", "--allow-errors",
                     $"--ExecutePreprocessor.kernel_name={KernelName}",
                     $"--ExecutePreprocessor.timeout={(int)timeout.TotalSeconds}",
                     "--output-dir", outputFolder, notebook,
                 })
            start.ArgumentList.Add(argument);
        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException($"jupyter is not on PATH ({e.Message}): {Setup}");
        }
        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            process.WaitForExit();
            if (process.ExitCode != 0)
                throw new InvalidOperationException($"nbconvert exited with {process.ExitCode} on {notebook}: {stderr.Result.Trim()} {stdout.Result.Trim()}\n({Setup})");
        }
        return Read(Path.Combine(outputFolder, Path.GetFileName(notebook)));
    }

    /// <summary>The outputs stored in an .ipynb file.</summary>
    public static IReadOnlyList<KernelOutput> Read(string ipynb)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(ipynb));
        var outputs = new List<KernelOutput>();
        var cells = document.RootElement.GetProperty("cells").EnumerateArray().ToList();
        for (var i = 0; i < cells.Count; i++)
        {
            if (!cells[i].TryGetProperty("outputs", out var list)) continue;
            foreach (var output in list.EnumerateArray())
            {
                var type = output.GetProperty("output_type").GetString()!;
                string? html = null;
                var text = "";
                if (output.TryGetProperty("data", out var data))
                {
                    if (data.TryGetProperty("text/html", out var h)) html = Joined(h);
                    if (data.TryGetProperty("text/plain", out var t)) text = Joined(t);
                }
                if (output.TryGetProperty("text", out var streamed)) text = Joined(streamed);
                if (type == "error") text = $"{output.GetProperty("ename").GetString()}: {output.GetProperty("evalue").GetString()}";
                outputs.Add(new KernelOutput(i, type, html, text));
            }
        }
        return outputs;
    }

    static string Joined(JsonElement value) =>
        value.ValueKind == JsonValueKind.Array ? string.Concat(value.EnumerateArray().Select(e => e.GetString())) : value.GetString() ?? "";
}

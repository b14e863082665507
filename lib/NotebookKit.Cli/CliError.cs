namespace NotebookKit.Cli;

/// <summary>
/// A user error the command reports as one line on stderr, with no stack trace, and a non-zero exit.
/// </summary>
/// <param name="message">What is wrong, naming the file or value, and what to do instead.</param>
/// <param name="exitCode">The process exit code; 2 for bad usage or input unless a command documents otherwise.</param>
public sealed class CliError(string message, int exitCode = 2) : Exception(message)
{
    /// <summary>The process exit code to return.</summary>
    public int ExitCode { get; } = exitCode;

    /// <summary>Runs a command body, turning a <see cref="CliError"/> or a validation error into a message and exit code.</summary>
    public static int Guard(Func<int> body)
    {
        try
        {
            return body();
        }
        catch (CliError e)
        {
            Console.Error.WriteLine($"nbk: {e.Message}");
            return e.ExitCode;
        }
        catch (Exception e) when (e is ArgumentException or FileNotFoundException or DirectoryNotFoundException or FormatException or InvalidDataException)
        {
            Console.Error.WriteLine($"nbk: {e.Message}");
            return 2;
        }
    }
}

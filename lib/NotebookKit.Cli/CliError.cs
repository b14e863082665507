namespace NotebookKit.Cli;

/// <summary>
/// A user error the command reports as one line on stderr, with no stack trace, and a non-zero exit.
/// </summary>
/// <param name="message">What is wrong, naming the file or value, and what to do instead.</param>
/// <param name="exitCode">The process exit code; 2 for bad usage or input unless a command documents otherwise.</param>
public sealed class CliError(string message, int exitCode = 2) : Exception(message)
{
    /// <summary>The exit code of a bug: anything a command throws that is not a <see cref="CliError"/> (EX_SOFTWARE of sysexits.h).</summary>
    public const int BugExitCode = 70;

    /// <summary>The process exit code to return.</summary>
    public int ExitCode { get; } = exitCode;

    /// <summary>
    /// Runs a command body. A <see cref="CliError"/> is the user's mistake: its one line and exit code. Anything else is a
    /// bug in nbk, reported with its stack trace and exit code <see cref="BugExitCode"/>, so it never passes for bad input.
    /// Input errors of the library (a bad file, a flag out of range) become <see cref="CliError"/>s where the command reads
    /// that input, through <see cref="Input{T}"/>.
    /// </summary>
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
        catch (Exception e)
        {
            Console.Error.WriteLine($"nbk: internal error, a bug in nbk rather than in what you passed; please report it with this trace:\n{e}");
            return BugExitCode;
        }
    }

    /// <summary>
    /// Reads user input (flags, files) through the library, whose validation throws <see cref="ArgumentException"/>,
    /// <see cref="FileNotFoundException"/>, <see cref="DirectoryNotFoundException"/>, <see cref="InvalidDataException"/>,
    /// <see cref="FormatException"/> or <see cref="IOException"/> with a message that names the value and the fix; those
    /// become <see cref="CliError"/>s. Wrap only the call that reads the input, so a bug elsewhere keeps its trace.
    /// </summary>
    public static T Input<T>(Func<T> read)
    {
        try
        {
            return read();
        }
        catch (Exception e) when (e is ArgumentException or IOException or InvalidDataException or FormatException or UnauthorizedAccessException)
        {
            throw new CliError(e.Message);
        }
    }
}

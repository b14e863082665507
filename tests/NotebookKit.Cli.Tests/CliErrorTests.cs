namespace NotebookKit.Cli.Tests;

/// <summary>A user's mistake is one line and exit 2; a bug keeps its stack trace and exits 70, whatever its exception type.</summary>
[Collection(nameof(ConsoleError))]
public sealed class CliErrorTests
{
    static (int Exit, string Err) Guarded(Func<int> body)
    {
        var before = Console.Error;
        var captured = new StringWriter();
        Console.SetError(captured);
        try
        {
            return (CliError.Guard(body), captured.ToString());
        }
        finally
        {
            Console.SetError(before);
        }
    }

    [Fact]
    public void A_cli_error_is_its_line_and_its_exit_code()
    {
        Assert.Equal((2, "nbk: --keep 0 must be at least 1\n"), Guarded(() => throw new CliError("--keep 0 must be at least 1")));
        Assert.Equal(1, Guarded(() => throw new CliError("disk full", exitCode: 1)).Exit);
    }

    [Fact]
    public void Input_errors_of_the_library_become_one_line_only_where_input_is_read()
    {
        var (exit, err) = Guarded(() => CliError.Input<int>(() => throw new FileNotFoundException("corpus file 'x' does not exist: pass a file")));
        Assert.Equal((2, "nbk: corpus file 'x' does not exist: pass a file\n"), (exit, err));
    }

    [Theory]
    [InlineData(typeof(IndexOutOfRangeException))]
    [InlineData(typeof(ArgumentException))]
    [InlineData(typeof(InvalidDataException))]
    [InlineData(typeof(NullReferenceException))]
    public void Anything_else_is_a_bug_with_its_trace_and_exit_70(Type type)
    {
        var (exit, err) = Guarded(() => throw (Exception)Activator.CreateInstance(type, "an index past the end")!);
        Assert.Equal(70, exit);
        Assert.StartsWith("nbk: internal error, a bug in nbk", err);
        Assert.Contains($"{type.FullName}: an index past the end", err);
        Assert.Contains("   at ", err);
    }
}

/// <summary>Tests that swap <see cref="Console.Error"/> run one at a time.</summary>
[CollectionDefinition(nameof(ConsoleError), DisableParallelization = true)]
public sealed class ConsoleError;

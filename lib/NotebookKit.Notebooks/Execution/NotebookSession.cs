using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Scripting;
using Microsoft.CodeAnalysis.Scripting;
using NotebookKit.Notebooks.Parsing;

namespace NotebookKit.Notebooks.Execution;

/// <summary>
/// Runs a notebook's C# cells in order on Roslyn scripting, sharing variables, types and <c>using</c>s
/// across cells as Polyglot Notebooks' C# kernel did (latest C#, top-level <c>await</c>, the value of a
/// trailing expression displayed, console output captured per cell).
/// </summary>
/// <remarks>
/// One session per process: console capture replaces <see cref="Console.Out"/> while a cell runs.
/// A busy cell cannot be cancelled from inside; <c>nbk run</c> enforces the timeout by running each
/// notebook in its own process.
/// </remarks>
[SuppressMessage("Design", "CA1001", Justification = "its console writer only buffers text in memory; there is nothing to release")]
public sealed class NotebookSession
{
    /// <summary>The namespaces every cell starts with, as in the original C# kernel.</summary>
    public static readonly IReadOnlyList<string> DefaultImports =
        ["System", "System.Collections", "System.Collections.Generic", "System.Linq", "System.Text", "System.Threading.Tasks", "System.Net.Http"];

    readonly string _path;
    readonly CellDirectives _directives;
    readonly Action<CellOutput> _onOutput;
    readonly NotebookGlobals _globals;
    readonly CellConsole _console;
    ScriptOptions _options;
    ScriptState<object?>? _state;
    int _nextOutputId;
    int _currentCell;

    /// <summary>Creates a session for the notebook at <paramref name="notebookPath"/>; <paramref name="onOutput"/> receives every output and update as it happens.</summary>
    public NotebookSession(string notebookPath, CarriedPackages carried, Action<CellOutput> onOutput)
    {
        _path = Path.GetFullPath(notebookPath);
        _directives = new CellDirectives(_path, carried);
        _onOutput = onOutput;
        _globals = new NotebookGlobals(this);
        _console = new CellConsole(this);
        var runtimeDir = RuntimeEnvironment.GetRuntimeDirectory();
        var framework = ((AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES") as string) ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Where(p => Path.GetDirectoryName(p) + Path.DirectorySeparatorChar == runtimeDir || Path.GetDirectoryName(p) == runtimeDir.TrimEnd(Path.DirectorySeparatorChar));
        _options = ScriptOptions.Default
            .WithLanguageVersion(LanguageVersion.Latest)
            .WithImports(DefaultImports)
            .WithReferences(framework.Select(p => MetadataReference.CreateFromFile(p)))
            .AddReferences(typeof(Microsoft.DotNet.Interactive.Formatting.Formatter).Assembly, typeof(Microsoft.AspNetCore.Html.IHtmlContent).Assembly)
            .WithFilePath(_path)
            .WithFileEncoding(Encoding.UTF8)
            .WithEmitDebugInformation(true);
    }

    /// <summary>
    /// Starts the session with a trivial submission and formats a value once, so
    /// loading the compiler, the framework references and the formatters counts as runner start-up, not
    /// as the first cell's time.
    /// </summary>
    public async Task WarmUpAsync()
    {
        _state ??= await CSharpScript.Create<object?>("0", _options, typeof(NotebookGlobals)).RunAsync(_globals);
        ValueFormatter.Format(0, []);
    }

    /// <summary>Runs one C# cell. Errors point at the .dib line.</summary>
    public async Task<CellResult> RunAsync(int index, Cell cell)
    {
        _currentCell = index;
        var clock = Stopwatch.StartNew();
        var (error, line) = await ExecuteAsync(index, cell);
        clock.Stop();
        _console.Flush();
        var ms = clock.Elapsed.TotalMilliseconds;
        return error is null ? new CellResult(CellStatus.Passed, ms) : new CellResult(CellStatus.Failed, ms, error, line);
    }

    async Task<(string? Error, int? Line)> ExecuteAsync(int index, Cell cell)
    {
        PreparedCell prepared;
        try
        {
            prepared = _directives.Prepare(cell);
        }
        catch (DirectiveException e)
        {
            return (e.Message, e.Line);
        }
        _options = _options.AddReferences(prepared.References);
        var clock = Stopwatch.StartNew();
        var (stdout, stderr) = (Console.Out, Console.Error);
        Console.SetOut(_console);
        Console.SetError(_console);
        try
        {
            _state = _state is null
                ? await CSharpScript.Create<object?>(prepared.Code, _options, typeof(NotebookGlobals)).RunAsync(_globals, _ => true)
                : await _state.ContinueWithAsync<object?>(prepared.Code, _options, catchException: _ => true);
        }
        catch (CompilationErrorException e)
        {
            var first = e.Diagnostics.First(d => d.Severity == DiagnosticSeverity.Error).Location.GetMappedLineSpan();
            var messages = e.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).Select(FormatDiagnostic);
            return (string.Join("\n", messages), first.StartLinePosition.Line + 1);
        }
        finally
        {
            Console.SetOut(stdout);
            Console.SetError(stderr);
        }
        if (_state.Exception is { } thrown)
        {
            var inner = Unwrap(thrown);
            var line = LineOf(inner);
            var where = line is null ? Path.GetFileName(_path) : $"{Path.GetFileName(_path)}({line})";
            return ($"{where}: {inner.GetType().FullName}: {inner.Message}", line);
        }
        if (_state.ReturnValue is { } value) Display(value, []);
        if (prepared.Time) Emit(NextId(), index, $"Wall time: {clock.Elapsed.TotalMilliseconds:0.###}ms", []);
        return (null, null);
    }

    string FormatDiagnostic(Diagnostic d)
    {
        var span = d.Location.GetMappedLineSpan();
        return $"{Path.GetFileName(_path)}({span.StartLinePosition.Line + 1},{span.StartLinePosition.Character + 1}): error {d.Id}: {d.GetMessage(CultureInfo.InvariantCulture)}";
    }

    /// <summary>The .dib line of the innermost stack frame that belongs to the notebook.</summary>
    int? LineOf(Exception e) =>
        new StackTrace(e, true).GetFrames()
            .FirstOrDefault(f => f.GetFileName() == _path && f.GetFileLineNumber() > 0)?.GetFileLineNumber();

    static Exception Unwrap(Exception e) => e switch
    {
        AggregateException { InnerExceptions.Count: 1 } a => Unwrap(a.InnerExceptions[0]),
        System.Reflection.TargetInvocationException { InnerException: { } inner } => Unwrap(inner),
        _ => e,
    };

    internal DisplayHandle Display(object? value, string[] mimeTypes)
    {
        _console.Flush();
        var id = NextId();
        Emit(id, _currentCell, value, mimeTypes);
        return new DisplayHandle(this, id, _currentCell, mimeTypes);
    }

    internal void Emit(int id, int cell, object? value, string[] mimeTypes)
    {
        var (mime, text) = ValueFormatter.Format(value, mimeTypes);
        _onOutput(new CellOutput(id, cell, mime, text));
    }

    internal void EmitConsole(string text) => _onOutput(new CellOutput(NextId(), _currentCell, CellOutput.Plain, text, IsConsole: true));

    int NextId() => Interlocked.Increment(ref _nextOutputId);
}

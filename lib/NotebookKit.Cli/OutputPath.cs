namespace NotebookKit.Cli;

/// <summary>
/// Checks, before any work, that an output flag's path can be written, so a run never finds out at its end that its
/// report or timeline has nowhere to go. Folders are created; a file that did not exist is not left behind.
/// </summary>
internal static class OutputPath
{
    /// <summary>Checks that <paramref name="path"/>, given as <paramref name="flag"/>, can be created or replaced as a file.</summary>
    /// <exception cref="CliError">It is a folder, or its folder cannot be created or written.</exception>
    public static void File(string flag, string path)
    {
        var full = Path.GetFullPath(path);
        if (Directory.Exists(full)) throw new CliError($"{flag} '{path}' is a folder: pass a file path inside it, e.g. {Path.Combine(path, "out")}");
        Probe(flag, path, () =>
        {
            Directory.CreateDirectory(Path.GetDirectoryName(full)!);
            var existed = System.IO.File.Exists(full);
            using (new FileStream(full, FileMode.OpenOrCreate, FileAccess.Write, FileShare.ReadWrite)) { }
            if (!existed) System.IO.File.Delete(full);
        });
    }

    /// <summary>Checks that <paramref name="path"/>, given as <paramref name="flag"/>, is a folder (created when missing) that files can be written into.</summary>
    /// <exception cref="CliError">It is a file, or it cannot be created or written.</exception>
    public static void Folder(string flag, string path)
    {
        if (System.IO.File.Exists(path)) throw new CliError($"{flag} '{path}' is a file: pass a folder");
        Probe(flag, path, () =>
        {
            Directory.CreateDirectory(path);
            var probe = Path.Combine(path, $".nbk-write-test-{Environment.ProcessId}");
            using (new FileStream(probe, FileMode.Create, FileAccess.Write, FileShare.None, 1, FileOptions.DeleteOnClose)) { }
        });
    }

    static void Probe(string flag, string path, Action write)
    {
        try
        {
            write();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CliError($"{flag} '{path}' cannot be written ({e.Message.TrimEnd('.')}): pick a writable path");
        }
    }
}

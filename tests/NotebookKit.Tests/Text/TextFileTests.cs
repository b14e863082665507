using NotebookKit.Text;

namespace NotebookKit.Tests.Text;

public sealed class TextFileTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("nbk-text-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Reads_utf8_and_skips_a_byte_order_mark()
    {
        var path = Path.Combine(_dir, "log.txt");
        File.WriteAllBytes(path, [0xEF, 0xBB, 0xBF, .. "Rollback started at 14:18 – ok\n"u8.ToArray()]);
        Assert.Equal("Rollback started at 14:18 – ok\n", TextFile.ReadCorpus(path));
    }

    [Fact]
    public void Missing_file_names_the_path()
    {
        var path = Path.Combine(_dir, "nope.txt");
        var error = Assert.Throws<FileNotFoundException>(() => TextFile.ReadCorpus(path));
        Assert.Contains(path, error.Message);
        Assert.Contains("does not exist", error.Message);
    }

    [Fact]
    public void Empty_file_names_the_path()
    {
        var path = Path.Combine(_dir, "empty.txt");
        File.WriteAllBytes(path, []);
        var error = Assert.Throws<InvalidDataException>(() => TextFile.ReadCorpus(path));
        Assert.Contains(path, error.Message);
        Assert.Contains("is empty", error.Message);
    }

    [Fact]
    public void Invalid_utf8_names_the_byte_and_its_offset()
    {
        var path = Path.Combine(_dir, "latin1.txt");
        // "caf\xE9 ok": Latin-1 é is not UTF-8; it sits at byte offset 3.
        File.WriteAllBytes(path, [(byte)'c', (byte)'a', (byte)'f', 0xE9, (byte)' ', (byte)'o', (byte)'k']);
        var error = Assert.Throws<InvalidDataException>(() => TextFile.ReadCorpus(path));
        Assert.Contains(path, error.Message);
        Assert.Contains("0xE9 at offset 3", error.Message);
        Assert.Contains("re-save the file as UTF-8", error.Message);
    }

    [Fact]
    public void Split_keeps_order_and_holds_out_the_last_tenth()
    {
        var text = string.Concat(Enumerable.Range(0, 100).Select(i => (char)('a' + i % 26)));
        var (train, validation) = TextFile.SplitForValidation(text);
        Assert.Equal(90, train.Length);
        Assert.Equal(text[90..], validation);
        Assert.Equal(text, train + validation);
        Assert.Equal(75, TextFile.SplitForValidation(text, 0.25).Train.Length);
        Assert.Throws<ArgumentException>(() => TextFile.SplitForValidation(text, 1.0));
        Assert.Throws<ArgumentException>(() => TextFile.SplitForValidation("ab", 0.1));
    }
}

using System.Buffers.Binary;
using System.Diagnostics;
using System.Text;
using NotebookKit.Runtime;

namespace NotebookKit.Tests.Runtime;

/// <summary>
/// The patch that lets TorchSharp load on Debian 12: on a small ELF built here byte by byte, where the test knows every
/// offset, and on a copy of the real libLibTorchSharp.so, read back by binutils' readelf.
/// </summary>
public sealed class ElfVersionPatchTests
{
    const string Marker = "_ZSt21ios_base_library_initv";
    const string Version = "GLIBCXX_3.4.32";

    /// <summary>
    /// A 64-bit little-endian ELF with only the sections the patch reads: .dynstr, .dynsym, .gnu.version and
    /// .gnu.version_r. It requires GLIBCXX_3.4 (version index 2) and <see cref="Version"/> (index 3) from libstdc++.so.6;
    /// <paramref name="bound"/> are bound to index 3, and "memcpy" to index 2.
    /// </summary>
    /// <returns>The bytes and the offset of <see cref="Version"/>'s vna_flags field.</returns>
    static (byte[] Elf, int FlagsAt) Crafted(params string[] bound)
    {
        var strings = new List<byte> { 0 };
        int Add(string s)
        {
            var at = strings.Count;
            strings.AddRange(Encoding.ASCII.GetBytes(s));
            strings.Add(0);
            return at;
        }
        var (library, oldVersion, newVersion, memcpy) = (Add("libstdc++.so.6"), Add("GLIBCXX_3.4"), Add(Version), Add("memcpy"));
        var names = bound.Select(Add).ToArray();

        // Symbol 0 is the null symbol; then memcpy, then the bound ones.
        var symbols = new[] { 0, memcpy }.Concat(names).ToArray();
        var versions = new ushort[] { 0, 2 }.Concat(names.Select(_ => (ushort)3)).ToArray();
        var dynsym = new byte[24 * symbols.Length];
        for (var i = 0; i < symbols.Length; i++) BinaryPrimitives.WriteUInt32LittleEndian(dynsym.AsSpan(24 * i), (uint)symbols[i]);
        var versym = new byte[2 * versions.Length];
        for (var i = 0; i < versions.Length; i++) BinaryPrimitives.WriteUInt16LittleEndian(versym.AsSpan(2 * i), versions[i]);
        // Elf64_Verneed (16 bytes), then two Elf64_Vernaux (16 bytes each).
        var verneed = new byte[48];
        BinaryPrimitives.WriteUInt16LittleEndian(verneed.AsSpan(0), 1);       // vn_version
        BinaryPrimitives.WriteUInt16LittleEndian(verneed.AsSpan(2), 2);       // vn_cnt
        BinaryPrimitives.WriteUInt32LittleEndian(verneed.AsSpan(4), (uint)library);
        BinaryPrimitives.WriteUInt32LittleEndian(verneed.AsSpan(8), 16);      // vn_aux
        BinaryPrimitives.WriteUInt16LittleEndian(verneed.AsSpan(22), 2);      // vna_other: version index
        BinaryPrimitives.WriteUInt32LittleEndian(verneed.AsSpan(24), (uint)oldVersion);
        BinaryPrimitives.WriteUInt32LittleEndian(verneed.AsSpan(28), 16);     // vna_next
        BinaryPrimitives.WriteUInt16LittleEndian(verneed.AsSpan(38), 3);
        BinaryPrimitives.WriteUInt32LittleEndian(verneed.AsSpan(40), (uint)newVersion);

        var body = new List<byte>(new byte[64]);
        int Place(byte[] bytes)
        {
            while (body.Count % 8 != 0) body.Add(0);
            var at = body.Count;
            body.AddRange(bytes);
            return at;
        }
        var sections = new (uint Type, int Offset, int Size, uint Link, uint Info)[]
        {
            (0, 0, 0, 0, 0),
            (3, Place([.. strings]), strings.Count, 0, 0),                    // .dynstr
            (11, Place(dynsym), dynsym.Length, 1, 1),                         // .dynsym
            (0x6fffffff, Place(versym), versym.Length, 2, 0),                 // .gnu.version
            (0x6ffffffe, Place(verneed), verneed.Length, 1, 1),               // .gnu.version_r: one entry
        };
        var verneedAt = sections[4].Offset;
        while (body.Count % 8 != 0) body.Add(0);
        var headersAt = body.Count;
        foreach (var s in sections)
        {
            var header = new byte[64];
            BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(4), s.Type);
            BinaryPrimitives.WriteUInt64LittleEndian(header.AsSpan(0x18), (ulong)s.Offset);
            BinaryPrimitives.WriteUInt64LittleEndian(header.AsSpan(0x20), (ulong)s.Size);
            BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(0x28), s.Link);
            BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(0x2c), s.Info);
            body.AddRange(header);
        }
        var elf = body.ToArray();
        elf[0] = 0x7f;
        "ELF"u8.CopyTo(elf.AsSpan(1));
        (elf[4], elf[5], elf[6]) = (2, 1, 1); // 64-bit, little-endian, version 1
        BinaryPrimitives.WriteUInt64LittleEndian(elf.AsSpan(0x28), (ulong)headersAt);
        BinaryPrimitives.WriteUInt16LittleEndian(elf.AsSpan(0x3a), 64);
        BinaryPrimitives.WriteUInt16LittleEndian(elf.AsSpan(0x3c), (ushort)sections.Length);
        return (elf, verneedAt + 32 + 4);
    }

    [Fact]
    public void A_version_bound_only_to_the_uncalled_marker_becomes_weak_and_nothing_else_changes()
    {
        var (elf, flagsAt) = Crafted(Marker);
        var patched = ElfVersionPatch.MarkWeak(elf, Version);
        Assert.Equal(0x2, BinaryPrimitives.ReadUInt16LittleEndian(patched.AsSpan(flagsAt))); // VER_FLG_WEAK
        Assert.Equal([flagsAt], Enumerable.Range(0, elf.Length).Where(i => elf[i] != patched[i]));
        Assert.Equal(0, BinaryPrimitives.ReadUInt16LittleEndian(elf.AsSpan(flagsAt))); // the input is left as it was
    }

    [Fact]
    public void A_version_that_binds_a_called_function_is_refused()
    {
        var (elf, _) = Crafted(Marker, "_ZNSt6chrono3_V212system_clock3nowEv");
        var error = Assert.Throws<InvalidOperationException>(() => ElfVersionPatch.MarkWeak(elf, Version));
        Assert.Contains($"{Version} binds '_ZNSt6chrono3_V212system_clock3nowEv', a function the library may call", error.Message);
        // memcpy is bound to GLIBCXX_3.4, so that version can never be made optional either.
        Assert.Contains("binds 'memcpy'", Assert.Throws<InvalidOperationException>(() => ElfVersionPatch.MarkWeak(elf, "GLIBCXX_3.4")).Message);
        Assert.Contains("does not require GLIBCXX_9", Assert.Throws<InvalidOperationException>(() => ElfVersionPatch.MarkWeak(elf, "GLIBCXX_9")).Message);
        Assert.Contains("not an ELF file", Assert.Throws<InvalidOperationException>(() => ElfVersionPatch.MarkWeak(new byte[100], Version)).Message);
    }

    [Fact]
    public void On_a_copy_of_the_real_bridge_readelf_sees_only_GLIBCXX_3_4_32_turn_weak()
    {
        var original = RealBridge();
        var dir = Directory.CreateTempSubdirectory("nbk-elf-").FullName;
        try
        {
            var bytes = File.ReadAllBytes(original);
            var before = Path.Combine(dir, "before.so");
            var after = Path.Combine(dir, "after.so");
            File.WriteAllBytes(before, bytes);
            File.WriteAllBytes(after, ElfVersionPatch.MarkWeak(bytes, Version));
            Assert.Equal(bytes, File.ReadAllBytes(original)); // the NuGet cache is never touched

            var (was, now) = (VersionNeeds(before), VersionNeeds(after));
            Assert.Contains($"Name: {Version}  Flags: none", was);
            Assert.Contains($"Name: {Version}  Flags: WEAK", now);
            Assert.Equal(was.Replace($"Name: {Version}  Flags: none", ""), now.Replace($"Name: {Version}  Flags: WEAK", ""));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>The bridge in the NuGet cache (the build output's copy when the cache lives elsewhere).</summary>
    static string RealBridge()
    {
        var packages = Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } custom
            ? custom : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        var version = typeof(TorchSharp.torch).Assembly.GetName().Version!.ToString(3);
        var cached = Path.Combine(packages, "torchsharp", version, "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
        return File.Exists(cached) ? cached : Path.Combine(AppContext.BaseDirectory, "libLibTorchSharp.so");
    }

    /// <summary>readelf's listing of the version requirements, one requirement per line.</summary>
    static string VersionNeeds(string library)
    {
        var start = new ProcessStartInfo("readelf", ["-V", "-W", library]) { RedirectStandardOutput = true };
        using var process = Process.Start(start)!;
        var text = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        Assert.Equal(0, process.ExitCode);
        var needs = text[text.IndexOf("Version needs section", StringComparison.Ordinal)..];
        return string.Join("\n", needs.Split('\n').Where(l => l.Contains("Name: ", StringComparison.Ordinal)).Select(l => l.Trim()[l.Trim().IndexOf("Name:", StringComparison.Ordinal)..]));
    }
}

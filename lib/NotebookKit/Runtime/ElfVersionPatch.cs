using System.Buffers.Binary;
using System.Text;

namespace NotebookKit.Runtime;

/// <summary>
/// Marks a version requirement of an ELF shared library as weak (optional), so that the dynamic
/// loader accepts a system library that lacks that version.
/// </summary>
/// <remarks>
/// Written by hand: no .NET package edits ELF version tables. The edit is refused unless every
/// dynamic symbol bound to the version is one of <see cref="UncalledMarkers"/>: symbols the
/// compiler emits as a version marker and that the library never calls. That keeps the patch from
/// hiding a real missing function, which would crash later instead of failing at load.
/// </remarks>
internal static class ElfVersionPatch
{
    /// <summary>
    /// Symbols known to be version markers with no call site. GCC 13 emits
    /// <c>std::ios_base_library_init()</c> bound to GLIBCXX_3.4.32 in every library that includes
    /// &lt;iostream&gt;; it has no relocation, so nothing ever jumps to it.
    /// </summary>
    public static readonly IReadOnlySet<string> UncalledMarkers = new HashSet<string> { "_ZSt21ios_base_library_initv" };

    const uint ShtDynsym = 11;
    const uint ShtGnuVerneed = 0x6ffffffe;
    const uint ShtGnuVersym = 0x6fffffff;
    const ushort VerFlagWeak = 0x2;

    /// <summary>
    /// Returns a copy of <paramref name="elf"/> in which the requirement on <paramref name="version"/>
    /// (for example <c>GLIBCXX_3.4.32</c>) carries the weak flag.
    /// </summary>
    /// <exception cref="InvalidOperationException">The file is not a 64-bit little-endian ELF, does
    /// not require that version, or binds a symbol other than a known marker to it.</exception>
    public static byte[] MarkWeak(byte[] elf, string version)
    {
        var span = elf.AsSpan();
        if (elf.Length < 64 || span[0] != 0x7f || span[1] != (byte)'E' || span[2] != (byte)'L' || span[3] != (byte)'F')
            throw new InvalidOperationException("not an ELF file");
        if (span[4] != 2 || span[5] != 1)
            throw new InvalidOperationException("only 64-bit little-endian ELF files are supported");

        var sectionOffset = (long)BinaryPrimitives.ReadUInt64LittleEndian(span[0x28..]);
        int sectionSize = BinaryPrimitives.ReadUInt16LittleEndian(span[0x3a..]);
        int sectionCount = BinaryPrimitives.ReadUInt16LittleEndian(span[0x3c..]);

        Section Read(int index)
        {
            var h = elf.AsSpan().Slice((int)(sectionOffset + (long)index * sectionSize), sectionSize);
            return new Section(
                Type: BinaryPrimitives.ReadUInt32LittleEndian(h[4..]),
                Offset: (int)BinaryPrimitives.ReadUInt64LittleEndian(h[0x18..]),
                Size: (int)BinaryPrimitives.ReadUInt64LittleEndian(h[0x20..]),
                Link: (int)BinaryPrimitives.ReadUInt32LittleEndian(h[0x28..]),
                Info: (int)BinaryPrimitives.ReadUInt32LittleEndian(h[0x2c..]));
        }

        var sections = Enumerable.Range(0, sectionCount).Select(Read).ToArray();
        var verneed = sections.SingleOrDefault(s => s.Type == ShtGnuVerneed)
            ?? throw new InvalidOperationException("the library has no version requirements");
        var dynsym = sections.Single(s => s.Type == ShtDynsym);
        var versym = sections.Single(s => s.Type == ShtGnuVersym);
        var strings = sections[verneed.Link];

        string StringAt(Section table, int offset)
        {
            var start = table.Offset + offset;
            var end = Array.IndexOf(elf, (byte)0, start);
            return Encoding.ASCII.GetString(elf, start, end - start);
        }

        // Walk Elf64_Verneed -> Elf64_Vernaux to find the requirement and its version index.
        var patched = (byte[])elf.Clone();
        int? versionIndex = null;
        var need = verneed.Offset;
        for (var n = 0; n < verneed.Info; n++)
        {
            int auxCount = BinaryPrimitives.ReadUInt16LittleEndian(span[(need + 2)..]);
            var aux = need + (int)BinaryPrimitives.ReadUInt32LittleEndian(span[(need + 8)..]);
            for (var a = 0; a < auxCount; a++)
            {
                var name = StringAt(strings, (int)BinaryPrimitives.ReadUInt32LittleEndian(span[(aux + 8)..]));
                if (name == version)
                {
                    var flags = BinaryPrimitives.ReadUInt16LittleEndian(span[(aux + 4)..]);
                    BinaryPrimitives.WriteUInt16LittleEndian(patched.AsSpan(aux + 4), (ushort)(flags | VerFlagWeak));
                    versionIndex = BinaryPrimitives.ReadUInt16LittleEndian(span[(aux + 6)..]);
                }
                aux += (int)BinaryPrimitives.ReadUInt32LittleEndian(span[(aux + 12)..]);
            }
            need += (int)BinaryPrimitives.ReadUInt32LittleEndian(span[(need + 12)..]);
        }
        if (versionIndex is null)
            throw new InvalidOperationException($"the library does not require {version}");

        // Every dynamic symbol bound to that version index must be a known uncalled marker.
        var symbolStrings = sections[dynsym.Link];
        var symbolCount = dynsym.Size / 24;
        for (var i = 0; i < symbolCount; i++)
        {
            var index = BinaryPrimitives.ReadUInt16LittleEndian(span[(versym.Offset + 2 * i)..]) & 0x7fff;
            if (index != versionIndex) continue;
            var symbol = StringAt(symbolStrings, (int)BinaryPrimitives.ReadUInt32LittleEndian(span[(dynsym.Offset + 24 * i)..]));
            if (!UncalledMarkers.Contains(symbol))
                throw new InvalidOperationException($"{version} binds '{symbol}', a function the library may call; it cannot be made optional");
        }
        return patched;
    }

    sealed record Section(uint Type, int Offset, int Size, int Link, int Info);
}

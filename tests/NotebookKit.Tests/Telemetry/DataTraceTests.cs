using NotebookKit.Telemetry;

namespace NotebookKit.Tests.Telemetry;

public class DataTraceTests
{
    [Fact]
    public void Rank_overlap_is_the_fraction_of_items_another_rank_also_drew()
    {
        Assert.Equal(0.0, DataTrace.RankOverlap([[1, 2], [3, 4]]));
        Assert.Equal(1.0, DataTrace.RankOverlap([[1, 2], [2, 1]]));
        // Item 2 is shared: it counts once in each rank, 2 of 4 items.
        Assert.Equal(0.5, DataTrace.RankOverlap([[1, 2], [2, 3]]));
        // One rank cannot overlap with itself, even when it draws an item twice.
        Assert.Equal(0.0, DataTrace.RankOverlap([[5, 5]]));
    }

    [Fact]
    public void Fingerprint_depends_on_the_items_and_their_order()
    {
        Assert.Equal(DataTrace.Fingerprint([1, 2, 3]), DataTrace.Fingerprint([1, 2, 3]));
        Assert.NotEqual(DataTrace.Fingerprint([1, 2, 3]), DataTrace.Fingerprint([3, 2, 1]));
        Assert.NotEqual(DataTrace.Fingerprint([1, 2, 3]), DataTrace.Fingerprint([1, 2, 4]));
        // FNV-1a 64 of no bytes is its offset basis.
        Assert.Equal("cbf29ce484222325", DataTrace.Fingerprint([]));
        Assert.Matches("^[0-9a-f]{16}$", DataTrace.Fingerprint([long.MaxValue]));
    }
}

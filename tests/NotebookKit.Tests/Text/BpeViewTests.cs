using NotebookKit.Text;

namespace NotebookKit.Tests.Text;

public class BpeViewTests
{
    [Fact]
    public void Running_sentence_cuts_as_o200k_does()
    {
        var tokens = BpeView.Tokens("Rollback started at 14:18");

        // o200k_base keeps the leading space on words, splits the space before digits off on its
        // own, and cuts digits into runs of at most three.
        Assert.Equal(["Rollback", " started", " at", " ", "14", ":", "18"], tokens.Select(t => t.Text));
        Assert.Equal([158691, 5424, 540, 220, 1265, 25, 1157], tokens.Select(t => t.Id));
    }

    [Fact]
    public void Ids_decode_back_to_the_sentence()
    {
        const string sentence = "deploy cart v1.2.3 failed at 09:41";
        var ids = BpeView.Ids(sentence);
        Assert.Equal(sentence, BpeView.Decode(ids));
        Assert.Equal(BpeView.Tokens(sentence).Select(t => t.Id), ids);
    }
}

using NotebookKit.Text.OpsLog;
using NotebookKit.Training;

namespace NotebookKit.Tests.Training;

public class OpsLogDataTests
{
    [Fact]
    public void The_corpus_as_ids_decodes_back_to_the_generated_text_and_is_built_once()
    {
        var data = OpsLogData.Load();
        Assert.Same(data, OpsLogData.Load());
        Assert.Equal(44, data.Tokenizer.VocabSize);
        Assert.Equal(OpsLogCorpus.Train().Text.Length, data.Split.Train.Length);
        Assert.Equal(OpsLogCorpus.Validation().Text[..200], data.Tokenizer.Decode(data.Split.Validation[..200]));
        Assert.Equal(OpsLogCorpus.EntropyFloor, data.EntropyFloor);
    }

    [Fact]
    public void The_course_model_has_the_corpus_vocabulary()
    {
        var model = OpsLogData.Load().Model(layers: 1, embd: 32, blockSize: 16, dropout: 0.1);
        Assert.Equal((44, 1, 2, 32, 16, 0.1), (model.VocabSize, model.Layers, model.Heads, model.Embd, model.BlockSize, model.Dropout));
    }
}

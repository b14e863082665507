using NotebookKit.Exercises;

namespace NotebookKit.Tests.Exercises;

public class ChapterQuizTests
{
    public static TheoryData<string, string> Sections => new()
    {
        { nameof(ChapterQuiz.QuickTest), "bcadb" },
        { nameof(ChapterQuiz.Understanding), "cdacab" },
        { nameof(ChapterQuiz.Interview), "cbdacb" },
    };

    static IReadOnlyList<QuizQuestion> Section(string name) => name switch
    {
        nameof(ChapterQuiz.QuickTest) => ChapterQuiz.QuickTest,
        nameof(ChapterQuiz.Understanding) => ChapterQuiz.Understanding,
        _ => ChapterQuiz.Interview,
    };

    static char?[] Letters(string s) => s.Select(c => (char?)c).ToArray();

    [Theory]
    [MemberData(nameof(Sections))]
    public void The_reference_answers_pass(string section, string answers)
    {
        var feedback = ChapterQuiz.Check(section, Section(section), Letters(answers));
        Assert.True(feedback.Passed, feedback.Message);
    }

    [Theory]
    [MemberData(nameof(Sections))]
    public void Every_wrong_choice_gets_its_own_correction_and_the_section_that_proves_the_right_one(string section, string answers)
    {
        var questions = Section(section);
        for (var i = 0; i < questions.Count; i++)
            foreach (var wrong in "abcd".Where(c => c != answers[i]))
            {
                var given = Letters(answers);
                given[i] = wrong;
                var feedback = ChapterQuiz.Check(section, questions, given);
                Assert.False(feedback.Passed);
                Assert.Contains($"{i + 1} ({wrong}): {questions[i].WhyWrong[wrong]}. See {questions[i].ProvedIn}", feedback.Message);
                Assert.StartsWith($"{questions.Count - 1} of {questions.Count} right.", feedback.Message);
            }
    }

    [Fact]
    public void The_interview_offers_the_chapters_common_wrong_answers()
    {
        string[] common =
        [
            "call trainer.train()", "SFT uses a completely different objective by default", "exactly identical to a large batch in every way",
            "the model only memorises the next word", "shape-compatible tensors mean the objective is correct", "any wrapper that runs is equivalent",
        ];
        for (var i = 0; i < common.Length; i++)
        {
            var question = ChapterQuiz.Interview[i];
            var at = question.Choices.ToList().FindIndex(c => c.Contains(common[i]));
            Assert.True(at >= 0, $"interview question {i + 1} lacks the common wrong answer '{common[i]}'");
            Assert.NotEqual(question.Right, (char)('a' + at));
        }
    }

    [Fact]
    public void Unanswered_and_malformed_answers_say_what_is_missing()
    {
        Assert.StartsWith("Not answered yet: give a letter for each of the 5", ChapterQuiz.Check("q", ChapterQuiz.QuickTest, [null, null, null, null, null]).Message);
        Assert.Equal("Not answered yet: questions 2, 5 still without a letter.", ChapterQuiz.Check("q", ChapterQuiz.QuickTest, ['b', null, 'a', 'd', null]).Message);
        Assert.StartsWith("4 answers for 5 questions", ChapterQuiz.Check("q", ChapterQuiz.QuickTest, Letters("bcad")).Message);
        Assert.Contains("3: 'e' is not one of the letters a to d", ChapterQuiz.Check("q", ChapterQuiz.QuickTest, Letters("bcedb")).Message);
    }

    [Fact]
    public void Show_letters_every_choice()
    {
        var text = ChapterQuiz.Show(ChapterQuiz.QuickTest);
        Assert.StartsWith("1. The running sentence", text);
        Assert.Contains("\n   d) input [started, at, 14:, 18], target [Rollback, started, at, 14:]\n2. ", text);
    }
}

import pytest

from condense_worker.tasks.corpus import JUDGE_PROMPT, judge_verdict, parse_qa, pick_passage
from condense_worker.tasks.generator import TaskError


@pytest.fixture()
def corpus(tmp_path):
    for i in range(5):
        (tmp_path / f"doc{i}.txt").write_text(f"Document {i} says the river number {i} is long. " * 20)
    return str(tmp_path)


def test_passage_deterministic_and_exact_length(corpus):
    a = pick_passage(corpus, 7, 300)
    assert a == pick_passage(corpus, 7, 300) and len(a) == 300
    assert len({pick_passage(corpus, s, 300) for s in range(20)}) > 1
    assert pick_passage(corpus, 7, 300, salt="x") != a or pick_passage(corpus, 8, 300) != a
    assert len(pick_passage(corpus, 3, 2000)) == 2000  # padded across files


def test_passage_errors(tmp_path, corpus):
    with pytest.raises(TaskError):
        pick_passage(str(tmp_path / "missing"), 1, 10)
    with pytest.raises(TaskError):
        pick_passage(corpus, 1, 10 ** 7)


def test_parse_qa_strict():
    assert parse_qa("Q1: Who?\nA1: Bob\nQ2: Where?\nA2: Paris\n", 2) == [("Who?", "Bob"), ("Where?", "Paris")]
    for bad in ("Sure! Q1: Who?\nA1: Bob", "Q1: Who?\nA2: Bob", "Q1: Who?\nA1:", "Q1: Who?", "A1: x\nQ1: y"):
        with pytest.raises(TaskError):
            parse_qa(bad, 1)
    with pytest.raises(TaskError):
        parse_qa("Q1: a\nA1: b", 2)


def test_judge_reading_and_prompt():
    assert judge_verdict("Yes") and judge_verdict("yes, it does.")
    for r in ("No", "yes, no", "Yes it is not", "maybe", "", "yesterday"):
        assert not judge_verdict(r), r
    p = JUDGE_PROMPT.format(question="q", answer="a", truth="t")
    assert "---QUESTION---\nq" in p and "---ANSWER---\na" in p and "---GROUND TRUTH---\nt" in p

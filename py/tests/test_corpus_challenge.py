"""Corpus QA challenges: a corpus window of the drawn length with a passage the generator writes QA about,
seeded and replayable; hostile corpora (symlinks out, huge sparse files, FIFOs, empty folders) refused with
clear errors before anything outside is read; the kind served by a real tiny:llama worker; judged Evaluate."""
from __future__ import annotations

import os
import re

import pytest
import torch

from condense_worker.compress import compress
from condense_worker.decoding import eos_token_ids, greedy_generate
from condense_worker.evaluate import (EvalItem, evaluate, evaluate_many, judge_answers, load_context,
                                      raw_question)
from condense_worker.gen.condense.v1 import worker_pb2 as pb
from condense_worker.models import load_model
from condense_worker.tasks import MISTRAL_SUBNET, TaskError
from condense_worker.tasks.corpus import (MAX_FILE_BYTES, QA_PROMPT, corpus_challenge, corpus_files,
                                          judge_prompt)

FMT = MISTRAL_SUBNET
FACTS = ["Mount Etna is an active volcano on the east coast of Sicily and it is about 3357 metres tall.",
         "Honey bees live in colonies of up to sixty thousand workers with a single queen.",
         "The Pharos of Alexandria was a lighthouse built around 280 BC on the island of Pharos.",
         "Divers found parts of the old lighthouse in the harbour of Alexandria in 1994."]


@pytest.fixture()
def corpus(tmp_path):
    d = tmp_path / "corpus"
    (d / "sub").mkdir(parents=True)
    for i, fact in enumerate(FACTS):
        (d / ("sub" if i == 3 else ".") / f"doc{i}.{'md' if i == 2 else 'txt'}").write_text((fact + " ") * 12)
    (d / "notes.json").write_text('{"ignored": true}')
    return d


def word_generator(prompt: str) -> str:
    """A deterministic stand-in for the LLM's callable: QA about the passage it is given."""
    passage = re.search(r"---CONTEXT---\n(.*)\n---END CONTEXT---", prompt, re.S).group(1)
    n = int(re.search(r"Write (\d+) questions", prompt).group(1))
    words = passage.split()
    return "\n".join(f"Q{i + 1}: Which word is number {i + 1} of the passage?\nA{i + 1}: {words[i]}" for i in range(n))


def _ch(corpus, seed=3, **kw):
    args = dict(min_chars=1200, max_chars=3000, fmt=FMT, generate=word_generator, num_questions=2, salt="5Miner:r1")
    args.update(kw)
    return corpus_challenge(str(corpus), seed, **args)


def test_corpus_challenge_is_seeded_bounded_and_answerable(corpus):
    a = _ch(corpus)
    assert a == _ch(corpus)  # same seed, corpus and generator: the same challenge
    assert _ch(corpus, salt="5Other:r1").context != a.context
    assert len(a.formatted_context) == a.drawn_chars and 1200 <= a.drawn_chars <= 3000
    assert a.formatted_context == FMT.context(a.context)
    assert a.passage in a.context and len(a.passage) >= 200
    assert [ans for _, ans in a.qa] == a.passage.split()[:2]
    assert a.formatted_questions == tuple(FMT.question(q) for q, _ in a.qa)
    assert sorted(lab for _, lab in a.chunks) == [False, False, True, True]
    for text, lab in a.chunks:
        assert (text in a.context) is lab
    lengths = {len(_ch(corpus, seed=s).formatted_context) for s in range(6)}
    assert len(lengths) > 2  # the length is drawn, not pinned


def test_unparsable_generator_output_moves_the_passage_then_fails(corpus):
    seen = []

    def flaky(prompt):
        seen.append(prompt)
        return "Sure! Here are some questions." if len(seen) < 3 else word_generator(prompt)
    ch = _ch(corpus, generate=flaky)
    assert len(seen) == 3 and len({*seen}) > 1 and ch.passage in seen[-1]
    with pytest.raises(TaskError, match="unparsable after 2 attempts"):
        _ch(corpus, generate=lambda p: "I cannot help with that", attempts=2)
    with pytest.raises(TaskError, match="at least 200"):
        _ch(corpus, min_chars=50, max_chars=100)


def test_corpus_files_lists_only_text_files_inside(corpus, tmp_path):
    (corpus / "inner-link.txt").symlink_to(corpus / "doc0.txt")  # a link inside the folder is fine
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "x.txt").write_text("outside text")
    (corpus / "linked-dir").symlink_to(tmp_path / "elsewhere")  # a symlinked folder is not entered
    files = corpus_files(str(corpus))
    assert all(str(f).startswith(str(corpus.resolve())) for f in files)
    assert sorted(f.name for f in files) == ["doc0.txt", "doc0.txt", "doc1.txt", "doc2.md", "doc3.txt"]


@pytest.mark.parametrize("hostile,message", [
    ("symlink_out", "links outside corpus_dir"),
    ("sparse", "over the"),
    ("fifo", "not a regular file"),
    ("empty", "no .txt or .md files"),
    ("missing", "does not exist"),
    ("dangling", "cannot read corpus file"),
])
def test_hostile_corpora_are_refused_before_reading(corpus, tmp_path, hostile, message):
    target = corpus
    if hostile == "symlink_out":
        (corpus / "passwd.txt").symlink_to("/etc/passwd")
    elif hostile == "sparse":
        with open(corpus / "huge.txt", "wb") as f:
            f.truncate(1 << 30)  # 1 GB, no blocks on disk
    elif hostile == "fifo":
        os.mkfifo(corpus / "pipe.txt")
    elif hostile == "dangling":
        (corpus / "gone.txt").symlink_to(corpus / "never-there.txt")
    elif hostile == "empty":
        target = tmp_path / "empty"
        target.mkdir()
        (target / "image.png").write_bytes(b"\x89PNG")
    else:
        target = tmp_path / "missing"
    with pytest.raises(TaskError, match=message):
        _ch(target)
    assert MAX_FILE_BYTES < 1 << 30


def test_judge_prompt_bounds_each_field():
    p = judge_prompt("Q?", "yes " * 5000, "truth")
    assert len(p) < 3000 and "---GROUND TRUTH---\ntruth" in p


# ---- the judge in Evaluate (tiny:llama: the plumbing; its verdicts are noise) -------------------------


@pytest.fixture(scope="module")
def tiny():
    return load_model("tiny:llama")


def test_judge_batched_equals_one_prompt_at_a_time(tiny):
    model, tok = tiny.model, tiny.tokenizer
    qs = [FMT.question("How tall is Etna?"), FMT.question("Who built the Pharos?"), FMT.question("When?")]
    answers, truths = ["about 3357 metres", "Napoleon", "in 1994"], [["3357 metres"], ["the Ptolemies"], ["1994"]]
    verdicts, replies = judge_answers(model, tok, qs, answers, truths)
    assert len(verdicts) == len(replies) == 3 and all(isinstance(v, bool) for v in verdicts)
    eos = eos_token_ids(model, tok)
    for q, a, t, r in zip(qs, answers, truths, replies):
        prompt = FMT.context(judge_prompt(raw_question(FMT, q), a, t[0])) + FMT.suffix
        ids = tok(prompt, return_tensors="pt", add_special_tokens=False).input_ids
        from transformers import DynamicCache
        one = greedy_generate(model, DynamicCache(config=model.config), ids, max_new_tokens=16, eos_ids=eos)
        assert tok.decode(one, skip_special_tokens=True) == r
    assert raw_question(FMT, qs[0]) == "How tall is Etna?"


def test_evaluate_in_judge_mode_reports_verdicts(tiny):
    model, tok = tiny.model, tiny.tokenizer
    context = FMT.context(" ".join(FACTS))
    res = compress(model, tok, context, "full")
    qs = [FMT.question("How tall is Etna?"), FMT.question("When were the parts found?")]
    expected = [["about 3357 metres"], ["in 1994"]]
    one = evaluate(model, tok, res, qs, 8, ["Honey bees live in colonies"], expected=expected, answer_check="judge",
                   existence_labels=[True])
    assert len(one.correct) == 2 and len(one.existence_correct) == 1
    again = evaluate(model, tok, res, qs, 8, expected=expected, answer_check="judge")
    assert again.answers == one.answers and again.correct == one.correct
    ctx = load_context(model, res)
    many = evaluate_many(model, tok, [EvalItem(ctx, qs, expected=expected), EvalItem(ctx, qs[:1], expected=expected[:1])],
                         8, answer_check="judge")
    assert [m.correct for m in many] == [one.correct, one.correct[:1]]
    from condense_worker.errors import InvalidArgument
    with pytest.raises(InvalidArgument):
        evaluate(model, tok, res, qs, 8, expected=[[""], ["x"]], answer_check="judge")


# ---- through a real worker ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def worker(module_router):
    return module_router.spawn("tiny:llama", "--threads", "1")


def _req(corpus_dir, **kw):
    args = dict(seed=41, min_chars=1200, max_chars=3000, kinds=["corpus_qa"], num_questions=2,
                target_model="tiny:llama", salt="5Hotkey:req-1", corpus_dir=str(corpus_dir))
    args.update(kw)
    return pb.ChallengeRequest(**args)


def test_worker_serves_corpus_qa_replayably(worker, corpus):
    # The tiny random model writes noise after each label; the plumbing is what is tested here.
    a = worker.call("challenge", _req(corpus), timeout=120)
    assert a.kind == "challenge", a.msg
    r = a.msg.challenge
    assert worker.call("challenge", _req(corpus), timeout=120).msg.challenge.SerializeToString() == r.SerializeToString()
    assert 1200 <= r.context_chars == len(r.formatted_context) == r.drawn_chars <= 3000
    assert r.formatted_context == FMT.context(r.context)
    assert [q.kind for q in r.questions] == ["corpus_qa"] * 2 and all(q.question and q.answers[0] for q in r.questions)
    assert all(q.formatted_question == FMT.question(q.question) for q in r.questions)
    assert sorted(c.in_context for c in r.chunks) == [False, False, True, True]
    assert all((c.text in r.context) is c.in_context for c in r.chunks)
    assert r.generator == "condense-corpus-qa-v1:tiny:llama"
    # The same seed with another generator (an explicit spec naming another model) gives other questions.
    other = worker.call("challenge", _req(corpus, generator="tiny:qwen2"), timeout=180).msg.challenge
    assert other.generator == "condense-corpus-qa-v1:tiny:qwen2" and other.context == r.context
    assert [q.question for q in other.questions] != [q.question for q in r.questions]


def test_worker_refuses_hostile_corpora_with_clear_errors(worker, corpus, tmp_path):
    (corpus / "passwd.txt").symlink_to("/etc/passwd")
    r = worker.call("challenge", _req(corpus), timeout=60)
    assert r.kind == "error" and r.msg.error.code == pb.ERROR_CODE_INVALID_ARGUMENT
    assert "links outside" in r.msg.error.message and "root:" not in r.msg.error.message
    (corpus / "passwd.txt").unlink()
    with open(corpus / "huge.txt", "wb") as f:
        f.truncate(1 << 30)
    r = worker.call("challenge", _req(corpus), timeout=60)
    assert r.kind == "error" and "huge.txt" in r.msg.error.message and "over the" in r.msg.error.message
    (corpus / "huge.txt").unlink()
    (tmp_path / "empty").mkdir()
    for bad, message in ((_req(tmp_path / "empty"), "no .txt or .md"), (_req(""), "needs corpus_dir"),
                         (_req(corpus, generator="/no/such/model.gguf"), "cannot load generator")):
        r = worker.call("challenge", bad, timeout=60)
        assert r.kind == "error" and message in r.msg.error.message, r.msg
    # Mixed kinds: the seed picks the challenge's kind; procedural draws still work with a corpus configured.
    kinds = set()
    for seed in range(8):
        r = worker.call("challenge", _req(corpus, seed=seed, kinds=["corpus_qa", "needle_single"]), timeout=120)
        assert r.kind == "challenge", r.msg
        kinds |= {q.kind for q in r.msg.challenge.questions}
    assert kinds == {"corpus_qa", "needle_single"}

"""Organic QA: questions and answers written about a client's own context (kind organic_qa, the Challenge
request's `passage`): seeded and replayable, the text returned unchanged as the context, the corpus QA parse and
redraw rules, clear refusals; served by a real tiny:llama worker (its QA is noise; the plumbing is tested)."""
from __future__ import annotations

import re

import pytest

from condense_worker.gen.condense.v1 import worker_pb2 as pb
from condense_worker.tasks import MISTRAL_SUBNET, TaskError
from condense_worker.tasks.corpus import ORGANIC_KIND, organic_challenge

FMT = MISTRAL_SUBNET
TEXT = ("Client notes. The ferry to Ischia leaves Naples at 9:40 from Molo Beverello and takes about an hour. "
        "Tickets cost 21 euros one way and can be bought at the pier.\nThe return ferry leaves at 18:15. ") * 6


def word_generator(prompt: str) -> str:
    passage = re.search(r"---CONTEXT---\n(.*)\n---END CONTEXT---", prompt, re.S).group(1)
    n = int(re.search(r"Write (\d+) questions", prompt).group(1))
    words = passage.split()
    return "\n".join(f"Q{i + 1}: Which word is number {i + 1}?\nA{i + 1}: {words[i]}" for i in range(n))


def _ch(text=TEXT, seed=5, **kw):
    args = dict(fmt=FMT, generate=word_generator, num_questions=2, salt="5Miner:organic-1")
    args.update(kw)
    return organic_challenge(text, seed, **args)


def test_organic_challenge_is_about_the_text_and_replays():
    a = _ch()
    assert a == _ch() and _ch(salt="5Other:organic-1") != a
    assert a.passage in TEXT and len(a.passage) >= 200
    assert [ans for _, ans in a.qa] == a.passage.split()[:2]
    assert a.formatted_questions == tuple(FMT.question(q) for q, _ in a.qa)
    assert sorted(lab for _, lab in a.chunks) == [False, False, True, True]
    for text, lab in a.chunks:
        assert (text in TEXT) is lab


def test_organic_challenge_redraws_then_refuses():
    seen = []

    def flaky(prompt):
        seen.append(prompt)
        return "no questions today" if len(seen) < 2 else word_generator(prompt)
    long_text = TEXT * 3  # longer than one passage: a redraw moves it
    ch = _ch(long_text, generate=flaky)
    assert len(seen) == 2 and seen[0] != seen[1] and ch.passage in seen[-1]
    with pytest.raises(TaskError, match="unparsable after 2 attempts"):
        _ch(generate=lambda p: "Sure!", attempts=2)
    with pytest.raises(TaskError, match="at least 200"):
        _ch("too short " * 5)


@pytest.fixture(scope="module")
def worker(module_router):
    return module_router.spawn("tiny:llama", "--threads", "1")


def _req(**kw):
    args = dict(seed=41, min_chars=len(TEXT), max_chars=len(TEXT), kinds=[ORGANIC_KIND], num_questions=2,
                target_model="tiny:llama", salt="5Hotkey:organic-1", passage=TEXT)
    args.update(kw)
    return pb.ChallengeRequest(**args)


def test_worker_serves_organic_qa(worker):
    a = worker.call("challenge", _req(), timeout=120)
    assert a.kind == "challenge", a.msg
    r = a.msg.challenge
    assert worker.call("challenge", _req(), timeout=120).msg.challenge.SerializeToString() == r.SerializeToString()
    # The context is the client's text unchanged: what the miner compressed.
    assert r.context == r.formatted_context == TEXT and r.context_chars == r.drawn_chars == len(TEXT)
    assert [q.kind for q in r.questions] == [ORGANIC_KIND] * 2 and all(q.question and q.answers[0] for q in r.questions)
    assert all((c.text in TEXT) is c.in_context for c in r.chunks) and len(r.chunks) == 4
    assert r.generator == "condense-organic-qa-v1:tiny:llama"
    for bad, message in ((_req(passage=""), "needs a passage"),
                         (_req(kinds=[ORGANIC_KIND, "needle_single"]), "no other kind"),
                         (_req(min_chars=1, max_chars=len(TEXT) - 1), "outside"),
                         (_req(passage="x" * 50, min_chars=50, max_chars=50), "at least 200")):
        e = worker.call("challenge", bad, timeout=60)
        assert e.kind == "error" and e.msg.error.code == pb.ERROR_CODE_INVALID_ARGUMENT and message in e.msg.error.message, e.msg

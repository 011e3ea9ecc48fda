"""Challenges: seeded and byte-identical, unique per salt, inside the tier bounds, unambiguous, with labelled
existence chunks; served by a real worker through the Challenge request."""
from __future__ import annotations

import re

import pytest

from condense_worker.gen.condense.v1 import worker_pb2 as pb
from condense_worker.models import byte_tokenizer
from condense_worker.tasks import KINDS, MISTRAL_SUBNET, TaskError, chat_format
from condense_worker.tasks.generator import challenge_kinds, generate_challenge

FMT = MISTRAL_SUBNET


def _gen(seed=11, salt="5F3sa2TJAWMqDhXG6jhV4N8ko9SxwGy8TpaNS1repo5EYjQX", **kw):
    args = dict(min_chars=2000, max_chars=6000, fmt=FMT, num_questions=4)
    args.update(kw)
    return generate_challenge(seed, salt=salt, **args)


def test_same_inputs_give_a_byte_identical_challenge():
    a, b = _gen(), _gen()
    assert a == b
    assert a.formatted_context.encode() == b.formatted_context.encode()


@pytest.mark.parametrize("change", [{"salt": "5Other"}, {"seed": 12}, {"salt": "5F3sa2TJAWMqDhXG6jhV4N8ko9SxwGy8TpaNS1repo5EYjQY"}])
def test_another_salt_or_seed_changes_the_content(change):
    a, b = _gen(), _gen(**change)
    assert a.context != b.context
    assert [q.answers for q in a.questions] != [q.answers for q in b.questions]
    # Not a shifted copy either: no question of one is asked by the other.
    assert not {q.question for q in a.questions} & {q.question for q in b.questions}


def test_salt_and_seed_do_not_alias():
    # "seed 1, salt 23" and "seed 12, salt 3" must not share a random stream.
    assert _gen(seed=1, salt="23").context != _gen(seed=12, salt="3").context


@pytest.mark.parametrize("bounds", [(900, 900 + 120), (3000, 15000), (20000, 20500)])
def test_formatted_length_is_drawn_within_the_bounds(bounds):
    lo, hi = bounds
    lengths = set()
    for seed in range(6):
        ch = _gen(seed=seed, min_chars=lo, max_chars=hi, num_questions=2)
        assert lo <= len(ch.formatted_context) <= hi
        assert lo <= ch.drawn_chars <= hi
        assert ch.formatted_context == FMT.context(ch.context)
        lengths.add(len(ch.formatted_context))
    if hi - lo > 1000:
        assert len(lengths) > 3  # the length really is drawn, not pinned to a bound


def test_impossible_bounds_are_refused():
    with pytest.raises(TaskError, match="max_chars"):
        _gen(min_chars=50, max_chars=100, num_questions=4)
    with pytest.raises(TaskError, match="min_chars"):
        _gen(min_chars=500, max_chars=400)
    with pytest.raises(TaskError, match="unknown task kind"):
        _gen(kinds=("needle_single", "no_such_kind"))


def test_every_question_is_answerable_from_the_context_and_unambiguous():
    for seed in range(20):
        ch = _gen(seed=seed, num_questions=6, kinds=challenge_kinds(), min_chars=4000, max_chars=8000)
        assert len(ch.questions) == 6
        for q in ch.questions:
            assert all(a in ch.context for a in q.answers)
            assert q.formatted_question.startswith(FMT.question(q.question))
        # Needle keys are unique across the whole context (two questions never share a key).
        keys = re.findall(r"special magic number for (\S+) is", ch.context)
        assert len(keys) == len(set(keys))
        regs = re.findall(r"Key ([0-9a-f]{6}) stores", ch.context)
        assert len(regs) == len(set(regs))
        counted = [q.question for q in ch.questions if q.kind == "counting"]
        for question in counted:  # the counted creature and colour are counted by that question only
            colour, creature = re.search(r"did a (\w+) (\w+) appear", question).groups()
            n = ch.context.count(f"A {colour} {creature} appeared at the window.")
            assert [str(n)] == list(next(q for q in ch.questions if q.question == question).answers)


def test_kinds_are_respected_and_recorded_per_question():
    ch = _gen(kinds=("kv_retrieval", "counting"), num_questions=5)
    assert {q.kind for q in ch.questions} <= {"kv_retrieval", "counting"}
    by_default = _gen(kinds=KINDS, num_questions=8)
    assert {q.kind for q in by_default.questions} <= set(KINDS)


def test_existence_chunks_two_from_the_context_two_from_unrelated_text():
    for seed in range(10):
        ch = _gen(seed=seed)
        assert sorted(lab for _, lab in ch.chunks) == [False, False, True, True]
        for text, in_context in ch.chunks:
            assert (text in ch.context) is in_context
            assert len(text) > 40
    # The labels are not always in the same order (the order would leak them).
    orders = {tuple(lab for _, lab in _gen(seed=s).chunks) for s in range(12)}
    assert len(orders) > 1


def test_a_short_context_crowded_with_passages_still_gets_its_chunks():
    made = 0
    for seed in range(40):
        try:
            ch = _gen(seed=seed, min_chars=400, max_chars=800, num_questions=2, kinds=("counting", "needle_single"))
        except TaskError as exc:  # the passages alone may not fit: refused, never cut
            assert "need more than max_chars" in str(exc)
            continue
        made += 1
        assert sorted(lab for _, lab in ch.chunks) == [False, False, True, True]
        for text, in_context in ch.chunks:
            assert (text in ch.context) is in_context
    assert made >= 20


def test_chat_template_of_the_target_model_is_applied():
    tok = byte_tokenizer()
    fmt = chat_format(tok)
    ch = generate_challenge(3, min_chars=1500, max_chars=2500, fmt=fmt, num_questions=2, salt="x")
    assert ch.formatted_context.startswith(fmt.prefix)
    assert all(q.formatted_question.startswith("\n\n") and fmt.suffix in q.formatted_question for q in ch.questions)


# ---- through a real worker --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def worker(module_router):
    return module_router.spawn("tiny:llama", "--threads", "1")


def _req(**kw):
    args = dict(seed=2**63 + 5, min_chars=3000, max_chars=9000, kinds=["needle_single", "kv_retrieval"],
                num_questions=3, target_model="tiny:llama", salt="5Hotkey:req-1")
    args.update(kw)
    return pb.ChallengeRequest(**args)


def test_worker_serves_seeded_challenges(worker):
    a = worker.call("challenge", _req(), timeout=60)
    assert a.kind == "challenge", a.msg
    b = worker.call("challenge", _req(), timeout=60)
    assert a.msg.challenge.SerializeToString() == b.msg.challenge.SerializeToString()
    c = worker.call("challenge", _req(salt="5Hotkey:req-2"), timeout=60).msg.challenge
    r = a.msg.challenge
    assert r.context != c.context
    assert 3000 <= r.context_chars == len(r.formatted_context) <= 9000
    assert len(r.questions) == 3 and all(q.kind in ("needle_single", "kv_retrieval") for q in r.questions)
    assert all(len(q.answers) == 1 and q.answers[0] in r.context for q in r.questions)
    assert sorted(ch.in_context for ch in r.chunks) == [False, False, True, True]
    assert r.generator and r.target_model == "tiny:llama"
    # The reply is what the library computes for the same inputs (one generator, not two).
    lib = generate_challenge(2**63 + 5, min_chars=3000, max_chars=9000, fmt=MISTRAL_SUBNET,
                             kinds=("needle_single", "kv_retrieval"), num_questions=3, salt="5Hotkey:req-1")
    assert r.formatted_context == lib.formatted_context


@pytest.mark.parametrize("req,code", [
    ({"target_model": "smollm2"}, pb.ERROR_CODE_UNSUPPORTED_MODEL),
    ({"min_chars": 0}, pb.ERROR_CODE_INVALID_ARGUMENT),
    ({"min_chars": 9000, "max_chars": 3000}, pb.ERROR_CODE_INVALID_ARGUMENT),
    ({"max_chars": 10**9}, pb.ERROR_CODE_INVALID_ARGUMENT),
    ({"num_questions": 1000}, pb.ERROR_CODE_INVALID_ARGUMENT),
    ({"kinds": ["needle_single", "rm -rf"]}, pb.ERROR_CODE_INVALID_ARGUMENT),
    ({"salt": "x" * 10_000}, pb.ERROR_CODE_INVALID_ARGUMENT),
    ({"min_chars": 100, "max_chars": 120}, pb.ERROR_CODE_INVALID_ARGUMENT),
])
def test_worker_refuses_bad_challenge_requests_with_typed_errors(worker, req, code):
    r = worker.call("challenge", _req(**req), timeout=60)
    assert r.kind == "error" and r.msg.error.code == code, r.msg
    assert worker.call("challenge", _req(), timeout=60).kind == "challenge"  # still serving

"""The widened benchmark tasks: deterministic, answerable from the context only, decoys that really decoy,
fillers that cannot collide with needles, and a strict checker that a run-on or a decoy cannot pass."""
from __future__ import annotations

import re

import pytest

from condense_worker.tasks import TaskError
from condense_worker.tasks.filler_sources import FILLERS
from condense_worker.tasks.kinds import _CODENAMES, _KEY_ADJ, _KEY_NOUN, _PEOPLE
from condense_worker.tasks.widened import WIDENED_SET, check_answer_strict, generate_widened_task

NUMBER = re.compile(r"\d+")


@pytest.mark.parametrize("kind", WIDENED_SET)
@pytest.mark.parametrize("filler", tuple(FILLERS))
def test_same_arguments_same_task_and_the_answer_is_in_the_context(kind, filler):
    a = generate_widened_task(kind, 3, 1500, filler, unit="chars")
    assert a == generate_widened_task(kind, 3, 1500, filler, unit="chars")
    assert a != generate_widened_task(kind, 4, 1500, filler, unit="chars")
    assert 1400 < a.length <= 1500 and len(a.context) == a.length
    (answer,) = a.answers
    assert answer in NUMBER.findall(a.context)
    assert answer not in a.question and answer not in a.answer_prefix
    for passage in a.passages:
        assert passage in a.context


@pytest.mark.parametrize("filler", tuple(FILLERS))
def test_fillers_have_no_digits_and_no_needle_words(filler):
    import random
    text = " ".join(FILLERS[filler](random.Random(1), 400)).lower()
    assert not re.search(r"\d", text)
    words = set(re.findall(r"[a-z]+", text))
    for w in [*(c.lower() for c in _CODENAMES), *_KEY_ADJ, *_KEY_NOUN,
              *(n.lower() for p in _PEOPLE for n in p.split())]:
        assert w not in words, w


def test_other_fillers_really_differ():
    tasks = [generate_widened_task("single_fact", 1, 1200, f, unit="chars") for f in FILLERS]
    starts = {t.context[:60] for t in tasks}
    assert len(starts) == len(FILLERS)


@pytest.mark.parametrize("seed", range(6))
def test_decoys_share_the_phrasing_and_only_the_asked_key_gives_the_answer(seed):
    t = generate_widened_task("needle_decoys", seed, 2000, "report", unit="chars")
    values = [NUMBER.findall(p)[0] for p in t.passages]
    assert len(t.passages) == 4 and len(set(values)) == 4 and t.answers[0] in values
    # Same phrasing: the passages differ only in key and number.
    shapes = {NUMBER.sub("#", p).split(" ")[0] for p in t.passages}
    assert len(shapes) == 1
    asked = next(p for p in t.passages if t.answers[0] in p)
    key = next(w for w in asked.replace(".", " ").split() if w in _CODENAMES)
    assert key in t.question and sum(key in p for p in t.passages) == 1


@pytest.mark.parametrize("seed", range(6))
def test_lookalike_keys_differ_from_the_asked_key_in_one_letter(seed):
    t = generate_widened_task("lookalike_keys", seed, 2000, "nature", unit="chars")
    keys = [next(w for w in re.findall(r"\b[A-Z]{5}\b", p)) for p in t.passages]
    asked = next(k for k in keys if k in t.question)
    others = [k for k in keys if k != asked]
    assert len(others) == 3
    for k in others:
        assert sum(x != y for x, y in zip(k, asked)) == 1


@pytest.mark.parametrize("seed", range(6))
def test_two_hop_needs_both_sentences_of_the_asked_chain(seed):
    t = generate_widened_task("two_hop", seed, 2500, "prose", unit="chars")
    assert len(t.passages) == 4
    key = next(c for c in _CODENAMES if c in t.question)
    link = next(p for p in t.passages if key in p)
    person = next(p for p in _PEOPLE if p in link)
    fact = next(p for p in t.passages if person in p and p != link)
    assert NUMBER.findall(fact) == [t.answers[0]]
    assert person not in t.question  # the first hop is not given away


def test_strict_checker_rejects_run_ons_second_numbers_and_decoys():
    t = generate_widened_task("needle_decoys", 1, 2000, "prose", unit="chars")
    a = t.answers[0]
    decoy = next(NUMBER.findall(p)[0] for p in t.passages if a not in p)
    assert check_answer_strict(t, f" {a}.")
    assert check_answer_strict(t, f" {a} credits. That is {a}.")
    assert check_answer_strict(t, f" {int(a):,}.")             # thousands separators
    assert not check_answer_strict(t, f" {a}1.")                # ran on past the number
    assert not check_answer_strict(t, f" {a}. Also {decoy}.")   # a second, different number
    assert not check_answer_strict(t, f" {decoy} or {a}")       # the decoy first
    assert not check_answer_strict(t, " I do not know.")
    assert not check_answer_strict(t, f" {a[:-1]}")


def test_bad_requests_fail_clearly():
    with pytest.raises(TaskError):
        generate_widened_task("nope", 1, 1000, "prose", unit="chars")
    with pytest.raises(TaskError):
        generate_widened_task("two_hop", 1, 1000, "poetry", unit="chars")
    with pytest.raises(TaskError):
        generate_widened_task("two_hop", 1, 50, "prose", unit="chars")
    with pytest.raises(TaskError):
        generate_widened_task("two_hop", 1, 500, "prose")  # tokens without a tokenizer

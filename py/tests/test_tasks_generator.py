"""Procedural tasks: reproducible per seed, requested length respected, answers exact and checkable."""
from __future__ import annotations

import re

import pytest

from condense_worker.models import byte_tokenizer
from condense_worker.tasks import (KINDS, MISTRAL_SUBNET, ChatFormat, TaskError, chat_format, check_answer,
                                   existence_chunks, generate_suite, generate_task)


@pytest.mark.parametrize("kind", KINDS)
def test_same_seed_same_task_other_seed_other_task(kind):
    a = generate_task(kind, 7, 2000, unit="chars")
    b = generate_task(kind, 7, 2000, unit="chars")
    c = generate_task(kind, 8, 2000, unit="chars")
    assert a == b
    assert (a.context, a.answers) != (c.context, c.answers)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("length", [600, 3000])
def test_length_in_chars_is_filled_but_not_exceeded(kind, length):
    t = generate_task(kind, 1, length, unit="chars")
    assert t.unit == "chars" and t.length == len(t.context)
    assert length - 150 <= t.length <= length  # one filler sentence is < 150 chars
    for passage in t.passages:
        assert passage in t.context


def test_length_in_tokens_uses_the_tokenizer():
    tok = byte_tokenizer()
    t = generate_task("needle_single", 3, 900, unit="tokens", tokenizer=tok)
    n = len(tok(t.context, add_special_tokens=False).input_ids)
    assert t.length == n and 750 <= n <= 900


def _value_for(context: str, pattern: str) -> str:
    m = re.search(pattern, context)
    assert m, pattern
    return m.group(1)


@pytest.mark.parametrize("seed", range(6))
def test_answers_follow_from_the_context(seed):
    single = generate_task("needle_single", seed, 1500, unit="chars")
    key = _value_for(single.question, r"number for ([a-z]+-[a-z]+)\?")
    assert single.answers == (_value_for(single.context, rf"number for {key} is (\d+)\."),)

    multi = generate_task("needle_multikey", seed, 1500, unit="chars")
    assert len(re.findall(r"special magic number for", multi.context)) == 4
    key = _value_for(multi.question, r"number for ([a-z]+-[a-z]+)\?")
    assert multi.answers == (_value_for(multi.context, rf"number for {key} is (\d+)\."),)

    kv = generate_task("kv_retrieval", seed, 1500, unit="chars")
    key = _value_for(kv.question, r"key ([0-9a-f]{6}) store")
    assert kv.answers == (_value_for(kv.context, rf"Key {key} stores (\d+)\."),)

    var = generate_task("variable_tracking", seed, 1500, unit="chars")
    name = _value_for(var.question, r"VAR ([A-Z]{4}) hold")
    assigned = dict(re.findall(r"VAR ([A-Z]{4}) = ((?:VAR [A-Z]{4})|\d+)\.", var.context))
    hops, value = 0, assigned[name]
    while value.startswith("VAR "):  # follow the chain: the answer needs several hops
        value, hops = assigned[value[4:]], hops + 1
    assert var.answers == (value,) and hops >= 2

    count = generate_task("counting", seed, 1500, unit="chars")
    what = _value_for(count.question, r"did a ([a-z]+ [a-z]+) appear")
    assert count.answers == (str(count.context.count(f"A {what} appeared at the window.")),)


def test_check_answer():
    t = generate_task("needle_single", 2, 800, unit="chars")
    v = t.answers[0]
    assert check_answer(t, f" {v}.")
    assert check_answer(t, f"The special magic number is {v}")
    assert not check_answer(t, f" {v}0.")            # a longer number is a different number
    assert not check_answer(t, f" {v[:-1]}.")
    assert not check_answer(t, "I do not know.")
    c = generate_task("counting", 2, 800, unit="chars")
    n = int(c.answers[0])
    assert check_answer(c, f" {n} times")
    assert not check_answer(c, f" {n + 1} times, not {n}")  # the first number is the answer given


def test_existence_chunks_are_labelled_truthfully():
    for kind in KINDS:
        t = generate_task(kind, 4, 1500, unit="chars")
        chunks = existence_chunks(t, 2, 2)
        assert sorted(label for _, label in chunks) == [False, False, True, True]
        for chunk, inside in chunks:
            assert (chunk in t.context) == inside
        assert chunks == existence_chunks(t, 2, 2)


def test_chat_formats():
    assert chat_format(byte_tokenizer()) is MISTRAL_SUBNET  # no template: the subnet's Mistral format
    tok = byte_tokenizer()
    tok.chat_template = ("{% for m in messages %}<|user|>\n{{ m['content'] }}<|end|>\n{% endfor %}"
                         "{% if add_generation_prompt %}<|assistant|>\n{% endif %}")
    fmt = chat_format(tok)
    assert fmt == ChatFormat(prefix="<|user|>\n", suffix="<|end|>\n<|assistant|>\n")
    t = generate_task("needle_single", 0, 700, unit="chars")
    context, question = t.formatted(fmt)
    assert context == "<|user|>\n" + t.context
    assert question == "\n\n" + t.question + "<|end|>\n<|assistant|>\n" + t.answer_prefix
    m_ctx, m_q = t.formatted(MISTRAL_SUBNET)
    assert m_ctx.startswith("<s> [INST] ") and m_q.startswith("\n\n") and " [/INST] " in m_q


def test_suite_cycles_kinds_and_bad_requests_fail_clearly():
    suite = generate_suite(7, 700, unit="chars")
    assert [t.kind for t in suite][:5] == list(KINDS) and [t.seed for t in suite] == list(range(7))
    with pytest.raises(TaskError, match="unknown task kind"):
        generate_task("sudoku", 0, 1000, unit="chars")
    with pytest.raises(TaskError, match="needs at least"):
        generate_task("kv_retrieval", 0, 50, unit="chars")
    with pytest.raises(TaskError, match="tokenizer is needed"):
        generate_task("needle_single", 0, 1000, unit="tokens")
    with pytest.raises(TaskError, match="unit must be"):
        generate_task("needle_single", 0, 1000, unit="words")
    with pytest.raises(TaskError, match="non-negative integer"):
        generate_task("needle_single", -1, 1000, unit="chars")

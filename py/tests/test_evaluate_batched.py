"""Several containers in one padded, batched Evaluate equal the one-at-a-time Evaluate: containers from
different challenges, with different kept and original lengths, different questions and chunks."""
from __future__ import annotations

import pytest
import torch

from condense_worker.compress import compress
from condense_worker.decoding import eos_token_ids
from condense_worker.errors import InvalidArgument
from condense_worker.evaluate import (EvalItem, LoadedContext, Row, check_reply, evaluate, evaluate_many,
                                      greedy_rows, greedy_rows_capped, load_context)
from condense_worker.models import load_model
from condense_worker.tasks import chat_format
from condense_worker.tasks.generator import generate_challenge

# (challenge salt, algorithm, ratio): every container answers its own challenge and keeps its own length.
MINERS = [("5Alice", "kvzip_shared", 0.5), ("5Bob", "streaming_llm", 0.7), ("5Carol", "knorm", 0.3),
          ("5Dave", "full", 0.0)]


# For SmolLM2 only presses that cost one prefill (kvzip's reconstruction passes take minutes on a CPU).
CHEAP_MINERS = [("5Alice", "streaming_llm", 0.5), ("5Bob", "streaming_llm", 0.7), ("5Carol", "knorm", 0.3),
                ("5Dave", "full", 0.0)]


def _items(model, tok, bounds=(500, 900), questions=2, miners=MINERS):
    fmt = chat_format(tok)
    items, lengths = [], set()
    for i, (salt, algorithm, ratio) in enumerate(miners):
        ch = generate_challenge(40 + i, min_chars=bounds[0], max_chars=bounds[1], fmt=fmt, salt=salt,
                                num_questions=questions, kinds=("needle_single", "kv_retrieval", "counting"))
        res = compress(model, tok, ch.formatted_context, algorithm, {"ratio": ratio} if ratio else {})
        ctx = load_context(model, res)
        lengths.add((ctx.layers[0][0].shape[2], ctx.next_position))
        items.append(EvalItem(ctx=ctx, questions=[q.formatted_question for q in ch.questions],
                              existence_chunks=[c for c, _ in ch.chunks],
                              expected=[list(q.answers) for q in ch.questions],
                              existence_labels=[lab for _, lab in ch.chunks]))
    kept = {k for k, _ in lengths}
    original = {o for _, o in lengths}
    assert len(kept) == len(items) and len(original) > 1  # the batch really pads both axes
    return items


def _one_at_a_time(model, tok, items, limit):
    return [evaluate(model, tok, LoadedContext(it.ctx.layers, it.ctx.next_position), it.questions, limit,
                     it.existence_chunks, expected=it.expected, answer_check="procedural",
                     existence_labels=it.existence_labels) for it in items]


def _same(batched, single):
    for b, s in zip(batched, single, strict=True):
        assert b.answer_ids == s.answer_ids
        assert b.answers == s.answers
        assert b.existence_replies == s.existence_replies
        assert b.correct == s.correct and len(b.correct) == len(s.answers)
        assert b.existence_correct == s.existence_correct and len(b.existence_correct) == len(s.existence_replies)


@pytest.mark.parametrize("spec", ["tiny:llama", "tiny:mistral", "tiny:qwen2"])
def test_batched_across_containers_equals_one_at_a_time(spec):
    lm = load_model(spec)
    model, tok = lm.model, lm.tokenizer
    items = _items(model, tok)
    single = _one_at_a_time(model, tok, items, 10)
    assert any(len(a) > 0 for s in single for a in s.answer_ids)
    _same(evaluate_many(model, tok, items, 10, answer_check="procedural"), single)
    # Capped: the rows go in several groups (sorted by kept length), results still in item order.
    _same(evaluate_many(model, tok, items, 10, answer_check="procedural", max_rows=3), single)
    _same(evaluate_many(model, tok, items[::-1], 10, answer_check="procedural", max_rows=5)[::-1], single)


def test_padding_is_masked_and_positions_are_per_row():
    """Attack the padding: rows whose padded cache slots hold garbage, or whose neighbours differ, must not
    change; a row decoded with another row's next position must."""
    lm = load_model("tiny:llama")
    model, tok = lm.model, lm.tokenizer
    items = _items(model, tok)
    eos = eos_token_ids(model, tok)
    q = tok(items[0].questions[0], return_tensors="pt", add_special_tokens=False).input_ids
    i_short = min(range(len(items)), key=lambda i: items[i].ctx.layers[0][0].shape[2])
    short = items[i_short]
    alone = greedy_rows(model, [Row(short.ctx, q, 8)], eos)[0]
    with_long = greedy_rows(model, [Row(it.ctx, q, 8) for it in items], eos)
    assert with_long[i_short] == alone
    moved = LoadedContext(short.ctx.layers, short.ctx.next_position + 300)
    assert greedy_rows(model, [Row(moved, q, 8), Row(items[0].ctx, q, 8)], eos)[0] != alone


def test_rows_stop_at_their_own_limit():
    lm = load_model("tiny:llama")
    model, tok = lm.model, lm.tokenizer
    items = _items(model, tok)
    eos = eos_token_ids(model, tok)
    q = tok(items[0].questions[0], return_tensors="pt", add_special_tokens=False).input_ids
    out = greedy_rows(model, [Row(items[0].ctx, q, 3), Row(items[1].ctx, q, 9)], eos)
    assert len(out[0]) <= 3 and len(out[1]) <= 9
    assert greedy_rows_capped(model, [], eos) == []
    with pytest.raises(InvalidArgument, match="max_rows"):
        greedy_rows_capped(model, [Row(items[0].ctx, q, 3)], eos, max_rows=0)


def test_a_byte_cap_splits_the_batch_without_changing_results():
    lm = load_model("tiny:qwen2")
    model, tok = lm.model, lm.tokenizer
    items = _items(model, tok)
    whole = evaluate_many(model, tok, items, 6, answer_check="procedural")
    one_row_per_group = evaluate_many(model, tok, items, 6, answer_check="procedural", max_bytes=1)
    for a, b in zip(whole, one_row_per_group):
        assert a.answer_ids == b.answer_ids and a.existence_replies == b.existence_replies


@pytest.mark.slow
def test_smollm2_batched_across_containers_equals_one_at_a_time():
    lm = load_model("smollm2")
    model, tok = lm.model, lm.tokenizer
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # shared CPUs: oversubscribed threads made this test 5x slower
    try:
        with torch.inference_mode():
            items = _items(model, tok, bounds=(700, 1100), questions=2, miners=CHEAP_MINERS)
        single = _one_at_a_time(model, tok, items, 8)
        _same(evaluate_many(model, tok, items, 8, answer_check="procedural"), single)
    finally:
        torch.set_num_threads(threads)


@pytest.mark.parametrize("expected,reply,ok", [
    (["4100365"], " 4100365.", True), (["4100365"], "is 4,100,365", True), (["4100365"], "４１００３６５", True),
    (["4100365"], "7 or 4100365", False), (["4100365"], "41003650", False), (["4100365"], "", False),
    (["3"], "3 times", True), (["3"], "13", False), (["12", "7"], "7 and 12", True), (["12", "7"], "7 and 9 12", False),
])
def test_procedural_check_is_strict_and_normalised(expected, reply, ok):
    assert check_reply(expected, reply, "procedural") is ok


def test_exact_check_and_bad_ground_truth():
    assert check_reply(["Paris"], "  paris. ", "exact")
    assert not check_reply(["Paris"], "Paris, France", "exact")
    with pytest.raises(InvalidArgument, match="numbers"):
        check_reply(["Paris"], "Paris", "procedural")
    with pytest.raises(InvalidArgument, match="non-empty"):
        check_reply([], "x", "procedural")
    with pytest.raises(InvalidArgument, match="unknown answer check"):
        check_reply(["1"], "1", "fuzzy")

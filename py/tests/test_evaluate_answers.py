"""evaluate(): exact equality with the uncompressed model, no leak between questions, container round trips,
batched decoding across caches, the existence check."""
from __future__ import annotations

import pytest
import torch

from condense_worker.compress import compress
from condense_worker.container import write_kv_container, write_soft_token_container
from condense_worker.decoding import eos_token_ids
from condense_worker.errors import InvalidArgument
from condense_worker.evaluate import (EXISTENCE_PROMPT, LoadedContext, evaluate, existence_verdict,
                                      greedy_same_question, load_context)
from condense_worker.models import load_model
from condense_worker.tasks import MISTRAL_SUBNET

CONTEXT = MISTRAL_SUBNET.context("The red door opens at noon. The green door opens at dusk. " * 6)
QUESTIONS = [MISTRAL_SUBNET.question("When does the red door open?"),
             MISTRAL_SUBNET.question("Which door opens at dusk?"),
             MISTRAL_SUBNET.question("How many doors are there?")]


@pytest.fixture(scope="module")
def tiny():
    lm = load_model("tiny:llama")
    return lm.model, lm.tokenizer


def _ids(tok, text):
    return tok(text, return_tensors="pt", add_special_tokens=False).input_ids


def _reference(model, tok, question, max_new_tokens):
    """The uncompressed model: context + question in one sequence, HF greedy generate."""
    ids = torch.cat([_ids(tok, CONTEXT), _ids(tok, question)], dim=1)
    eos = sorted(eos_token_ids(model, tok))
    with torch.inference_mode():
        out = model.generate(ids, attention_mask=torch.ones_like(ids), max_new_tokens=max_new_tokens,
                             do_sample=False, eos_token_id=eos, pad_token_id=eos[0])
    new = out[0, ids.shape[1]:].tolist()
    stop = next((i for i, t in enumerate(new) if t in eos), len(new))
    return new[:stop]


def test_full_container_reproduces_the_uncompressed_model_exactly(tiny, tmp_path):
    model, tok = tiny
    res = compress(model, tok, CONTEXT, "full")
    expected = [_reference(model, tok, q, 12) for q in QUESTIONS]
    assert all(len(e) > 0 for e in expected)
    in_memory = evaluate(model, tok, res, QUESTIONS, 12)
    assert in_memory.answer_ids == expected
    # Through a real f32 container file: the same tokens.
    path = tmp_path / "full.safetensors"
    write_kv_container(path, res.layers, {"target_model": "tiny:llama", "original_tokens": res.original_tokens,
                                          "algorithm": "full", "params": res.params, "context": CONTEXT}, "f32")
    assert evaluate(model, tok, str(path), QUESTIONS, 12).answer_ids == expected


def test_questions_do_not_leak_into_each_other(tiny):
    model, tok = tiny
    res = compress(model, tok, CONTEXT, "kvzip", {"ratio": 0.5})
    together = evaluate(model, tok, res, QUESTIONS, 10).answer_ids
    reversed_order = evaluate(model, tok, res, QUESTIONS[::-1], 10).answer_ids[::-1]
    one_by_one = [evaluate(model, tok, res, [q], 10).answer_ids[0] for q in QUESTIONS]
    assert together == reversed_order == one_by_one
    assert res.keys[0].shape[2] == res.kept_tokens  # the result's tensors were not extended


def test_pruned_cache_continues_at_the_original_positions(tiny):
    model, tok = tiny
    res = compress(model, tok, CONTEXT, "streaming_llm", {"ratio": 0.5})
    ctx = load_context(model, res)
    assert ctx.next_position == res.original_tokens > res.kept_tokens
    q = _ids(tok, QUESTIONS[0])
    eos = eos_token_ids(model, tok)
    at_original = greedy_same_question(model, [ctx], q, 10, eos)[0]
    assert evaluate(model, tok, res, [QUESTIONS[0]], 10).answer_ids[0] == at_original
    shifted = greedy_same_question(model, [LoadedContext(ctx.layers, res.kept_tokens)], q, 10, eos)[0]
    assert shifted != at_original  # positions matter, so continuing at the kept length would differ


def test_batched_decode_across_caches_matches_one_at_a_time(tiny):
    model, tok = tiny
    contexts = [load_context(model, compress(model, tok, CONTEXT, a, {"ratio": 0.5}))
                for a in ("knorm", "snapkv", "kvzip", "streaming_llm")]
    q = _ids(tok, QUESTIONS[1])
    eos = eos_token_ids(model, tok)
    batched = greedy_same_question(model, contexts, q, 10, eos)
    single = [greedy_same_question(model, [c], q, 10, eos)[0] for c in contexts]
    assert batched == single
    with pytest.raises(InvalidArgument, match="differ in kept length"):
        full = load_context(model, compress(model, tok, CONTEXT, "full"))
        greedy_same_question(model, [contexts[0], full], q, 4, eos)


@pytest.mark.parametrize("algorithm", ["full", "kvzip_shared"])
def test_batched_questions_match_sequential_answers(tiny, algorithm):
    """Questions of different lengths in one left-padded batch give the sequential answers."""
    model, tok = tiny
    res = compress(model, tok, CONTEXT, algorithm, {"ratio": 0.5})
    chunks = ["The red door opens at noon.", "A blue whale sings at night in the deep cold sea."]
    sequential = evaluate(model, tok, res, QUESTIONS, 10, chunks)
    batched = evaluate(model, tok, res, QUESTIONS, 10, chunks, batch=True)
    assert len({len(_ids(tok, q)[0]) for q in QUESTIONS}) > 1  # the batch really needs padding
    assert batched.answer_ids == sequential.answer_ids
    assert batched.existence_replies == sequential.existence_replies


def test_soft_token_container_evaluates_from_position_n(tiny, tmp_path):
    model, tok = tiny
    res = compress(model, tok, CONTEXT, "soft_token", {"checkpoint": "random:tiny:llama", "num_soft_tokens": 5},
                   return_soft_embeddings=True)
    path = tmp_path / "soft.safetensors"
    write_soft_token_container(path, res.soft_embeddings, {"target_model": "tiny:llama", "original_tokens":
                                                           res.original_tokens, "algorithm": "soft_token",
                                                           "params": res.params, "context": CONTEXT}, "f32")
    from_file = evaluate(model, tok, str(path), QUESTIONS[:1], 6)
    in_memory = evaluate(model, tok, res, QUESTIONS[:1], 6)
    assert load_context(model, res).next_position == 5
    assert from_file.answer_ids == in_memory.answer_ids


def test_existence_check_asks_one_prompt_per_chunk(tiny, monkeypatch):
    model, tok = tiny
    res = compress(model, tok, CONTEXT, "full")
    out = evaluate(model, tok, res, [], 4, ["The red door opens at noon.", "A blue whale sings."])
    assert len(out.existence) == len(out.existence_replies) == 2
    assert all(v in (True, False, None) for v in out.existence)
    # The verdict is the parse of exactly the reply to the formatted existence prompt.
    prompt = MISTRAL_SUBNET.question(EXISTENCE_PROMPT.format(chunk="A blue whale sings."))
    direct = evaluate(model, tok, res, [prompt], 8)
    assert direct.answers[0] == out.existence_replies[1]


@pytest.mark.parametrize("reply,verdict", [
    ("Yes", True), ("yes, it does.", True), ("No", False), ("no.", False), ("It is not there", False),
    ("Yes and no", None), ("maybe", None), ("", None), ("Yesterday", None), ("Nothing", None)])
def test_existence_verdict_follows_the_subnet_rule(reply, verdict):
    assert existence_verdict(reply) is verdict


def test_bad_evaluate_input(tiny):
    model, tok = tiny
    res = compress(model, tok, CONTEXT, "full")
    with pytest.raises(InvalidArgument, match="max_new_tokens"):
        evaluate(model, tok, res, QUESTIONS, 0)
    with pytest.raises(InvalidArgument, match="non-empty string"):
        evaluate(model, tok, res, [""], 4)
    with pytest.raises(InvalidArgument, match="expected a container"):
        evaluate(model, tok, 42, QUESTIONS, 4)

"""Structure-keeping, chunked and KVzap presses on a tiny random Llama: exact rectangular budgets, whole numbers
with their terminators, agreement with kvpress's own ChunkKV on the same scores, and the KVzap surrogate."""
from __future__ import annotations

import pytest
import torch
from kvpress import ChunkKVPress, EntropyGatedChunkKVPress, KnormPress
from transformers import DynamicCache

from condense_worker.compress import (CheckpointNotFound, CompressParams, InvalidCompressArgument, captured_prefill, compress,
                                      UnsupportedAlgorithm, derived_priority, tokenize_context)
from condense_worker.compress.chunked import chunk_priority
from condense_worker.compress.kvzap import fit_kvzap, kvzap_scores
from condense_worker.compress.scorers import press_scores
from condense_worker.compress.structure import structured_priority, token_units
from condense_worker.compress.topk import top_positions
from condense_worker.models import load_model

CONTEXT = "<s> [INST] " + " ".join(
    f"Report {i} says the code for box {i % 5} is {1000 + i * 7919 % 9000}." for i in range(14))
NEW = ("kvzip_span", "kvzip_shared_span", "kvzip_sentence", "kvzip_chunkkv", "kvzip_entropy_chunkkv")


@pytest.fixture(scope="module")
def tiny():
    lm = load_model("tiny:llama")
    return lm.model, lm.tokenizer, lm.shape


@pytest.fixture(scope="module")
def ids(tiny):
    return tokenize_context(tiny[1], CONTEXT)


def _positions_of(pruned: torch.Tensor, full: torch.Tensor) -> torch.Tensor:
    """Original positions of pruned keys `[1, H, k, D]` in the full keys `[1, H, T, D]`."""
    d = (pruned[0][:, :, None, :] - full[0][:, None, :, :]).abs().amax(-1)
    return d.argmin(-1)


def test_number_units_cover_the_space_digits_and_terminator(tiny):
    tok = tiny[1]
    text = "the code is 7438871. Next"
    ids = tokenize_context(tok, text)
    units = token_units(tok, ids)
    pieces = [tok.decode([t]) for t in ids[0].tolist()]
    members = [p for p, u in zip(pieces, units.number.tolist()) if u == 0]
    assert "".join(members) == " 7438871."
    assert int(units.number.max()) == 0  # one number, one unit
    # Sentences split after the full stop that ends the number, not inside "4.5".
    ids2 = tokenize_context(tok, "It is 4.5 m. Then")
    u2 = token_units(tok, ids2)
    assert u2.sentence.tolist()[-1] == 1 and len(set(u2.sentence.tolist())) == 2


def test_structured_priority_keeps_whole_numbers_neighbours_and_an_exact_budget(tiny):
    tok = tiny[1]
    ids = tokenize_context(tok, "aaaa the code is 7438871. bbbb cccc dddd eeee ffff gggg")
    units = token_units(tok, ids)
    T = ids.shape[1]
    digits = [i for i, t in enumerate(ids[0].tolist()) if tok.decode([t]).isdigit()]
    scores = torch.zeros(2, 3, T)
    scores[..., digits[3]] = 5.0           # one digit in the middle of the number matters
    scores[1, 2, 0] = 9.0                  # one row prefers a different token first
    kept = 14
    prio = structured_priority(scores, units, kept, neighbours=1)
    pos = top_positions(prio, kept)
    assert pos.shape == (2, 3, kept)       # rectangular: the same count in every layer and head
    number = set(i for i, u in enumerate(units.number.tolist()) if u == 0)
    for row in pos.reshape(-1, kept).tolist():
        assert number <= set(row)          # the whole number with its space and its full stop
        assert (min(number) - 1) in row    # and the neighbour before it ("is")
    # Plain top-k on the same scores keeps one digit, not the number.
    plain = set(top_positions(scores, kept)[0, 0].tolist())
    assert not number <= plain


def test_sentence_mode_keeps_the_whole_sentence(tiny):
    tok = tiny[1]
    ids = tokenize_context(tok, "Alpha beta gamma. The vault code is 55. Delta epsilon zeta eta theta.")
    units = token_units(tok, ids)
    T = ids.shape[1]
    pieces = [tok.decode([t]) for t in ids[0].tolist()]
    start = "".join(pieces).index("The vault")
    pos_v = next(i for i in range(T) if len("".join(pieces[:i + 1])) > start)
    scores = torch.zeros(1, 1, T)
    scores[..., pos_v + 4] = 1.0
    sentence = units.sentence[pos_v + 4]
    members = (units.sentence == sentence).nonzero().flatten().tolist()
    prio = structured_priority(scores, units, len(members) + 2, neighbours=0, sentences=True)
    kept = set(top_positions(prio, len(members) + 2)[0, 0].tolist())
    assert set(members) <= kept
    assert "".join(pieces[i] for i in members).strip() == "The vault code is 55."


@pytest.mark.parametrize("algorithm", NEW)
@pytest.mark.parametrize("ratio", [0.5, 0.75])
def test_new_presses_export_rectangular_caches_of_real_pairs(tiny, ids, algorithm, ratio):
    model, tok, shape = tiny
    T = ids.shape[1]
    res = compress(model, tok, CONTEXT, algorithm, {"ratio": ratio, "sink_tokens": 4})
    kept = int(T * (1 - ratio))
    assert res.kept_tokens == kept
    pre = captured_prefill(model, ids, capture=False)
    for i, ((k, v), pos) in enumerate(zip(res.layers, res.kept_positions)):
        assert tuple(k.shape) == tuple(v.shape) == (1, shape.num_kv_heads, kept, shape.head_dim)
        fk, fv = pre.layer_kv(i)
        idx = pos[None, :, :, None].expand(1, -1, -1, shape.head_dim)
        torch.testing.assert_close(k, fk.gather(2, idx), rtol=0, atol=1e-5)
        torch.testing.assert_close(v, fv.gather(2, idx), rtol=0, atol=1e-5)
        assert bool((pos[:, :4] == torch.arange(4)).all()) or algorithm.endswith("chunkkv")
    if algorithm != "kvzip_span":  # all but the per-head variant share one selection across heads
        assert bool((res.kept_positions == res.kept_positions[:, :1]).all())


@pytest.mark.parametrize("cls", [ChunkKVPress, EntropyGatedChunkKVPress])
def test_chunk_selection_is_the_librarys_when_the_budget_fits(tiny, cls):
    """Same knorm scores: our chunk_priority keeps what kvpress's press keeps inside the forward pass."""
    model, tok, _ = tiny
    ids = tokenize_context(tok, CONTEXT)[:, :400]  # a multiple of both chunk lengths (20, 10)
    T = ids.shape[1]
    ratio = 0.5
    kept = int(T * (1 - ratio))
    pre = captured_prefill(model, ids, capture=True)
    knorm = press_scores(model, pre, "knorm", CompressParams(), kept)
    mine = top_positions(chunk_priority(knorm, kept, "chunkkv" if cls is ChunkKVPress else "entropy_chunkkv"), kept)
    cache = DynamicCache(config=model.config)
    with torch.inference_mode(), cls(press=KnormPress(compression_ratio=ratio))(model):
        model.model(input_ids=ids, past_key_values=cache, use_cache=True)
    for i in range(len(cache.layers)):
        theirs = _positions_of(cache.layers[i].keys, pre.layer_kv(i)[0])
        assert theirs.shape[-1] == kept
        assert torch.equal(theirs.sort(-1).values, mine[i])


def test_chunk_priority_fixes_the_count_when_chunks_do_not_divide_the_budget():
    torch.manual_seed(0)
    scores = torch.rand(3, 2, 107)
    for kept in (13, 50, 81):
        pos = top_positions(chunk_priority(scores, kept, "chunkkv"), kept)
        assert pos.shape == (3, 2, kept) and bool((pos[..., 1:] > pos[..., :-1]).all())


def test_kvzap_surrogate_fits_scores_and_serves_compress(tiny, ids, tmp_path):
    model, tok, shape = tiny
    pre = captured_prefill(model, ids, capture=True)
    from condense_worker.compress import algorithm_scores
    target = algorithm_scores(model, tok, pre, "kvzip", CompressParams(), kept=ids.shape[1])
    surrogate = fit_kvzap([(pre, target)], ridge=1e-3)
    got = kvzap_scores(model, pre, surrogate, sink_tokens=4)
    assert got.shape == target.shape
    # Fitted on this context: its ranking follows KVzip's (a random surrogate's would not).
    a, b = got[..., 4:].flatten(), torch.log(target[..., 4:].flatten() + 1e-6)
    assert float(torch.corrcoef(torch.stack([a, b]))[0, 1]) > 0.5
    surrogate.save_pretrained(tmp_path / "kvzap")
    for algorithm in ("kvzap", "kvzap_span"):
        res = compress(model, tok, CONTEXT, algorithm, {"ratio": 0.75, "checkpoint": str(tmp_path / "kvzap")})
        assert res.kept_tokens == int(ids.shape[1] * 0.25)
    with pytest.raises(InvalidCompressArgument):
        compress(model, tok, CONTEXT, "kvzap", {"ratio": 0.75})
    with pytest.raises(CheckpointNotFound):
        compress(model, tok, CONTEXT, "kvzap", {"ratio": 0.75, "checkpoint": str(tmp_path / "missing")})


def test_derived_priority_rejects_unknown_names(tiny, ids):
    with pytest.raises(UnsupportedAlgorithm):
        derived_priority(torch.zeros(1, 1, 4), "kvzip_nonsense", tiny[1], ids, 2, 0)

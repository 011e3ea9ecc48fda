"""compress() on a tiny random Llama: shapes, exact kept counts, which tokens each algorithm keeps, and
agreement with kvpress's own hook-based compression."""
from __future__ import annotations

import pytest
import torch
from kvpress import ExpectedAttentionPress, KnormPress, SnapKVPress, StreamingLLMPress, TOVAPress
from transformers import DynamicCache

from condense_worker.compress import (CompressParams, InvalidCompressArgument, UnsupportedAlgorithm,
                                      captured_prefill, compress, kept_token_budget, tokenize_context)
from condense_worker.decoding import prefill
from condense_worker.models import load_model

CONTEXT = "<s> [INST] " + " ".join(f"Sentence {i} tells that item {i * 7 % 13} sits in box {i % 5}." for i in range(12))
KV_ALGOS = ("knorm", "snapkv", "expected_attention", "tova", "streaming_llm", "kvzip", "kvzip_shared")


@pytest.fixture(scope="module")
def tiny():
    lm = load_model("tiny:llama")
    return lm.model, lm.tokenizer, lm.shape


@pytest.fixture(scope="module")
def ids(tiny):
    return tokenize_context(tiny[1], CONTEXT)


def _full_layers(model, ids):
    return prefill(model, ids[0].tolist())


@pytest.mark.parametrize("algorithm", KV_ALGOS)
@pytest.mark.parametrize("ratio", [0.5, 0.75])
def test_kv_algorithm_shapes_and_kept_count(tiny, ids, algorithm, ratio):
    model, tok, shape = tiny
    T = ids.shape[1]
    res = compress(model, tok, CONTEXT, algorithm, {"ratio": ratio})
    kept = int(T * (1 - ratio))
    assert (res.original_tokens, res.kept_tokens, res.format) == (T, kept, "kv")
    assert len(res.keys) == len(res.values) == shape.num_layers
    for k, v in res.layers:
        assert tuple(k.shape) == tuple(v.shape) == (1, shape.num_kv_heads, kept, shape.head_dim)
    assert res.params["kept_tokens"] == kept and res.next_position == T
    # Every kept pair is the full cache's pair at the recorded original position.
    full = _full_layers(model, ids)
    for (k, v), (fk, fv), pos in zip(res.layers, full, res.kept_positions):
        idx = pos[None, :, :, None].expand(1, -1, -1, shape.head_dim)
        torch.testing.assert_close(k, fk.gather(2, idx), rtol=0, atol=1e-5)
        torch.testing.assert_close(v, fv.gather(2, idx), rtol=0, atol=1e-5)
        assert bool((pos[:, 1:] > pos[:, :-1]).all())  # ascending, no duplicates


def test_target_tokens_and_tier_bounds(tiny, ids):
    model, tok, _ = tiny
    T = ids.shape[1]
    assert compress(model, tok, CONTEXT, "knorm", {"target_tokens": 37}).kept_tokens == 37
    assert compress(model, tok, CONTEXT, "snapkv", {"ratio": 0.9, "min_tokens": 100}).kept_tokens == 100
    assert compress(model, tok, CONTEXT, "tova", {"ratio": 0.1, "max_tokens": 64}).kept_tokens == 64
    assert kept_token_budget(T, CompressParams(target_tokens=T + 50)) == T
    with pytest.raises(InvalidCompressArgument, match="fewer than the minimum"):
        compress(model, tok, CONTEXT, "knorm", {"ratio": 0.5, "min_tokens": T + 1})


def test_full_is_the_uncompressed_prefill(tiny, ids):
    model, tok, _ = tiny
    res = compress(model, tok, CONTEXT, "full")
    assert res.kept_tokens == res.original_tokens == ids.shape[1]
    for (k, v), (fk, fv) in zip(res.layers, _full_layers(model, ids)):
        torch.testing.assert_close(k, fk, rtol=0, atol=1e-5)
        torch.testing.assert_close(v, fv, rtol=0, atol=1e-5)


def test_streaming_llm_keeps_sinks_and_the_most_recent_tokens(tiny, ids):
    model, tok, _ = tiny
    T = ids.shape[1]
    res = compress(model, tok, CONTEXT, "streaming_llm", {"target_tokens": 40, "sink_tokens": 4})
    expected = torch.cat([torch.arange(4), torch.arange(T - 36, T)])
    for layer in res.kept_positions:
        for head in layer:
            assert torch.equal(head, expected)


def test_knorm_keeps_the_lowest_key_norms(tiny, ids):
    model, tok, _ = tiny
    res = compress(model, tok, CONTEXT, "knorm", {"target_tokens": 30})
    for (fk, _), pos in zip(_full_layers(model, ids), res.kept_positions):
        norms = fk[0].norm(dim=-1)                     # [H, T]
        expected = norms.topk(30, dim=-1, largest=False).indices.sort(dim=-1).values
        assert torch.equal(pos, expected)


def _positions_of(kept_keys: torch.Tensor, full_keys: torch.Tensor) -> torch.Tensor:
    """Original position of each kept key row, found by exact match against the full cache."""
    d = torch.cdist(kept_keys[0].float(), full_keys[0].float())  # [H, kept, T]
    return d.argmin(dim=-1).sort(dim=-1).values


@pytest.mark.parametrize("name,press", [
    ("knorm", KnormPress), ("snapkv", SnapKVPress), ("expected_attention", ExpectedAttentionPress),
    ("tova", TOVAPress), ("streaming_llm", StreamingLLMPress)])
def test_scorers_agree_with_kvpress_hooks(tiny, ids, name, press):
    """Scoring after the prefill keeps the same tokens as kvpress compressing inside the forward pass."""
    model, tok, _ = tiny
    T = ids.shape[1]
    ratio = 0.5
    ours = compress(model, tok, CONTEXT, name, {"ratio": ratio})
    kw = {"window_size": 64} if name == "snapkv" else {}
    cache = DynamicCache(config=model.config)
    with torch.inference_mode(), press(compression_ratio=ratio, **kw)(model):
        model.model(input_ids=ids, past_key_values=cache, use_cache=True)
    full = _full_layers(model, ids)
    for i, pos in enumerate(ours.kept_positions):
        theirs = cache.layers[i].keys
        assert theirs.shape[2] == int(T * (1 - ratio)) == pos.shape[-1]
        assert torch.equal(_positions_of(theirs, full[i][0]), pos)


def test_kvzip_pins_sinks_and_leaves_the_prefill_untouched(tiny, ids):
    model, tok, _ = tiny
    from condense_worker.compress import algorithm_scores
    pre = captured_prefill(model, ids, capture=False)
    before = [k.clone() for k in (pre.cache.layers[i].keys for i in range(len(pre.cache.layers)))]
    scores = algorithm_scores(model, tok, pre, "kvzip", CompressParams(sink_tokens=4), kept=20)
    assert scores.shape == (len(before), before[0].shape[1], ids.shape[1])
    assert pre.num_tokens == ids.shape[1]
    for i, k in enumerate(before):
        assert torch.equal(pre.cache.layers[i].keys, k)
    # Reconstruction attention is informative: not constant over the non-sink tokens.
    assert float(scores[..., 4:].std()) > 0
    res = compress(model, tok, CONTEXT, "kvzip", {"target_tokens": 20, "sink_tokens": 4})
    assert bool((res.kept_positions[..., :4] == torch.arange(4)).all())


def test_kvzip_shared_keeps_one_token_set_built_from_the_kvzip_scores(tiny, ids):
    model, tok, _ = tiny
    from condense_worker.compress import algorithm_scores, shared_token_scores
    res = compress(model, tok, CONTEXT, "kvzip_shared", {"ratio": 0.75, "sink_tokens": 4})
    pos = res.kept_positions
    assert bool((pos == pos[0, 0]).all())  # every layer and head keeps the same tokens
    pre = captured_prefill(model, ids, capture=False)
    per_head = algorithm_scores(model, tok, pre, "kvzip", CompressParams(sink_tokens=4), kept=res.kept_tokens)
    token_score = per_head.amax(dim=1).mean(dim=0)  # max over heads, mean over layers
    expected = token_score.topk(res.kept_tokens).indices.sort().values
    assert torch.equal(pos[0, 0], expected)
    assert torch.equal(shared_token_scores(per_head)[-1, -1], token_score)
    assert bool((pos[0, 0, :4] == torch.arange(4)).all())  # sinks survive the averaging


def test_kvzip_chunked_replay_scores_every_token(tiny, ids):
    model, tok, _ = tiny
    from condense_worker.compress import algorithm_scores
    pre = captured_prefill(model, ids, capture=False)
    scores = algorithm_scores(model, tok, pre, "kvzip", CompressParams(kvzip_chunk_size=64), kept=20)
    assert bool((scores[..., 4:] > 0).all())  # every chunk's tokens got a reconstruction score


def test_bad_requests_are_typed_errors(tiny):
    model, tok, _ = tiny
    with pytest.raises(UnsupportedAlgorithm, match="unknown algorithm 'lzma'"):
        compress(model, tok, CONTEXT, "lzma")
    with pytest.raises(InvalidCompressArgument, match="ratio must be in"):
        compress(model, tok, CONTEXT, "knorm", {"ratio": 1.0})
    with pytest.raises(InvalidCompressArgument, match="non-empty string"):
        compress(model, tok, "", "knorm", {"ratio": 0.5})
    with pytest.raises(InvalidCompressArgument, match="unknown compress parameter"):
        compress(model, tok, CONTEXT, "knorm", {"ratio": 0.5, "bogus": 1})
    with pytest.raises(InvalidCompressArgument, match="min_tokens"):
        compress(model, tok, CONTEXT, "knorm", {"min_tokens": 10, "max_tokens": 5})
    # Typed for the worker too: the runtime maps these onto proto error codes.
    from condense_worker.errors import InvalidArgument
    from condense_worker.gen.condense.v1 import worker_pb2 as pb
    assert issubclass(InvalidCompressArgument, InvalidArgument)
    assert UnsupportedAlgorithm("x").code == pb.ERROR_CODE_UNSUPPORTED_ALGORITHM


def test_check_is_called_and_can_cancel(tiny):
    model, tok, _ = tiny
    from condense_worker.errors import Cancelled

    def cancel():
        raise Cancelled("stop")

    with pytest.raises(Cancelled):
        compress(model, tok, CONTEXT, "kvzip", {"ratio": 0.5}, check=cancel)


def test_scoring_leaves_the_model_module_tree_unchanged():
    lm = load_model("tiny:llama")
    before = [n for n, _ in lm.model.named_modules()]
    for algorithm in ("expected_attention", "kvzip", "snapkv"):
        compress(lm.model, lm.tokenizer, CONTEXT, algorithm, {"ratio": 0.5})
    assert [n for n, _ in lm.model.named_modules()] == before

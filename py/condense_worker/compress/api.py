"""`compress(model, tokenizer, context, algorithm, params) -> CompressResult`: one entry point, one dispatch."""
from __future__ import annotations

from typing import Callable

import torch

from .budget import kept_token_budget
from .chunked import chunk_priority
from .kvzap import kvzap_scores, load_kvzap
from .kvzip import kvzip_scores
from .prefill import CapturedPrefill, captured_prefill
from .scorers import press_scores
from .structure import TokenUnits, structured_priority, token_units
from .topk import gather_layers, top_positions
from .types import (ALGORITHMS, CAPTURE_ALGORITHMS, KV_SCORER_ALGORITHMS, KVZAP_ALGORITHMS, KVZIP_ALGORITHMS,
                    CompressParams, CompressResult, InvalidCompressArgument, UnsupportedAlgorithm)

# Structure-closed selections: (base scores, structured_priority options).
STRUCTURED = {"kvzip_span": ("kvzip", {"neighbours": 1}),
              "kvzip_shared_span": ("kvzip_shared", {"neighbours": 1}),
              "kvzip_sentence": ("kvzip_shared", {"neighbours": 0, "sentences": True}),
              "kvzap_span": ("kvzap", {"neighbours": 1})}
CHUNKED = {"kvzip_chunkkv": "chunkkv", "kvzip_entropy_chunkkv": "entropy_chunkkv"}


def tokenize_context(tokenizer, context: str, add_special_tokens: bool = False) -> torch.Tensor:
    """Context ids `[1, T]`. The subnet tokenises the already-formatted context without special tokens
    (its literal `<s>` becomes BOS)."""
    if not isinstance(context, str) or not context:
        raise InvalidCompressArgument("context must be a non-empty string")
    return tokenizer(context, return_tensors="pt", add_special_tokens=add_special_tokens).input_ids


def compress(model, tokenizer, context: str | torch.Tensor, algorithm: str,
             params: CompressParams | dict | None = None, *, add_special_tokens: bool = False,
             return_soft_embeddings: bool = False, check: Callable[[], None] | None = None) -> CompressResult:
    """Compress `context` (formatted text, or token ids `[1, T]`) for `model` with `algorithm`.

    KV algorithms keep `kept_token_budget(T, params)` tokens in every layer and head; `check` is called
    between steps so a worker can cancel. Raises `CompressError` subclasses on bad input."""
    p = CompressParams.from_any(params)
    p.validate()
    if algorithm not in ALGORITHMS:
        raise UnsupportedAlgorithm(f"unknown algorithm {algorithm!r}; known: {', '.join(ALGORITHMS)}")
    if algorithm == "soft_token":
        from .soft_token import soft_token_compress
        return soft_token_compress(model, tokenizer, context, p, add_special_tokens=add_special_tokens,
                                   return_soft_embeddings=return_soft_embeddings, check=check)
    if algorithm == "activation_beacon":
        from .beacon import beacon_compress
        return beacon_compress(tokenizer, context, p, add_special_tokens=add_special_tokens, check=check)

    ids = context if isinstance(context, torch.Tensor) else tokenize_context(tokenizer, context, add_special_tokens)
    if ids.dim() != 2 or ids.shape[0] != 1:
        raise InvalidCompressArgument(f"context ids must be [1, T], got {list(ids.shape)}")
    ids = ids.to(model.device)
    T = int(ids.shape[1])
    limit = int(getattr(model.config, "max_position_embeddings", 0) or 0)
    if limit and T > limit:
        raise InvalidCompressArgument(f"context has {T} tokens, the model supports {limit} positions")
    kept = T if algorithm == "full" else kept_token_budget(T, p)
    prefill = captured_prefill(model, ids, capture=algorithm in CAPTURE_ALGORITHMS)
    if check is not None:
        check()
    return select_from_prefill(model, tokenizer, prefill, algorithm, p, kept=kept, check=check)


def algorithm_scores(model, tokenizer, prefill: CapturedPrefill, algorithm: str, params: CompressParams,
                     kept: int, check: Callable[[], None] | None = None) -> torch.Tensor:
    """`[L, H, T]` keep-scores of a KV algorithm on a prefill (the benchmark reuses one prefill)."""
    if algorithm in KV_SCORER_ALGORITHMS:
        return press_scores(model, prefill, algorithm, params, kept)
    if algorithm in KVZIP_ALGORITHMS:
        scores = kvzip_scores(model, tokenizer, prefill, sink_tokens=params.sink_tokens,
                              chunk_size=params.kvzip_chunk_size, check=check)
        return derived_priority(scores, algorithm, tokenizer, prefill.input_ids, kept, params.sink_tokens)
    if algorithm in KVZAP_ALGORITHMS:
        scores = kvzap_scores(model, prefill, load_kvzap(params.checkpoint), params.sink_tokens)
        return derived_priority(scores, algorithm, tokenizer, prefill.input_ids, kept, params.sink_tokens)
    raise UnsupportedAlgorithm(f"{algorithm} is not a KV scoring algorithm")


def derived_priority(base: torch.Tensor, algorithm: str, tokenizer, ids: torch.Tensor | None, kept: int,
                     sink_tokens: int, units: TokenUnits | None = None) -> torch.Tensor:
    """Keep-priorities `[L, H, T]` of a KVzip- or KVzap-family `algorithm` from its per-head base scores
    (`kvzip_scores` / `kvzap_scores`); the benchmark computes the base once and derives every variant."""
    if algorithm in ("kvzip", "kvzap"):
        return base
    if algorithm == "kvzip_shared":
        return shared_token_scores(base)
    if algorithm in CHUNKED:
        return chunk_priority(base, kept, CHUNKED[algorithm])
    if algorithm in STRUCTURED:
        source, options = STRUCTURED[algorithm]
        scores = shared_token_scores(base) if source == "kvzip_shared" else base
        if units is None:
            if ids is None:
                raise InvalidCompressArgument(f"{algorithm} needs the context token ids")
            units = token_units(tokenizer, ids)
        prio = structured_priority(scores[:1, :1] if source == "kvzip_shared" else scores, units, kept,
                                   pinned=sink_tokens, **options)
        return prio.expand_as(base) if source == "kvzip_shared" else prio
    raise UnsupportedAlgorithm(f"{algorithm} is not a KVzip/KVzap-family algorithm")


def shared_token_scores(scores: torch.Tensor) -> torch.Tensor:
    """One score per token for every layer and head: the max over heads (a token any head needs), averaged
    over layers. Keeping one token set everywhere keeps whole tokens (all layers' keys and values of a
    needle), which measured better than per-head sets on SmolLM2 (docs/benchmarks.md, quality)."""
    return scores.amax(dim=1).mean(dim=0)[None, None].expand_as(scores)


def select_from_prefill(model, tokenizer, prefill: CapturedPrefill, algorithm: str, params: CompressParams, *,
                        kept: int, scores: torch.Tensor | None = None,
                        check: Callable[[], None] | None = None) -> CompressResult:
    """Build the result of a KV algorithm from a prefill, optionally with precomputed `scores`."""
    T = prefill.num_tokens
    L = len(prefill.cache.layers)
    layers = [prefill.layer_kv(i) for i in range(L)]
    used = params.as_dict()
    if algorithm == "full" or kept >= T:
        keys = [k.contiguous() for k, _ in layers]
        values = [v.contiguous() for _, v in layers]
        H = keys[0].shape[1]
        positions = torch.arange(T).expand(L, H, T).clone()
    else:
        if scores is None:
            scores = algorithm_scores(model, tokenizer, prefill, algorithm, params, kept, check)
        positions = top_positions(scores, kept)
        keys, values = gather_layers(layers, positions)
    used["kept_tokens"] = int(keys[0].shape[2])
    used["effective_ratio"] = 1.0 - keys[0].shape[2] / T
    return CompressResult(algorithm=algorithm, format="kv", original_tokens=T, kept_tokens=int(keys[0].shape[2]),
                          keys=keys, values=values, params=used, kept_positions=positions.cpu())

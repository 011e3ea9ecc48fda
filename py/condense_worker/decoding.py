"""Prefill and greedy decoding over explicit per-layer KV caches (transformers 5.2 DynamicCache).

Shared by the Prefill/Generate handlers and by Evaluate (compression). A KV cache here is a list
of per-layer `(key, value)` tensors, each `[batch=1, kv_heads, T, head_dim]`. A compressed cache
is shorter than the context it came from, so the question's rotary positions continue from
`original_length`, not from the cache length; the cache index (where new entries go) still
follows the cache length, which is what transformers derives `cache_position` from.
"""

from __future__ import annotations

from typing import Callable, Iterable, Sequence

import torch
from transformers import DynamicCache

KV = tuple[torch.Tensor, torch.Tensor]
Check = Callable[[], None]


def cache_from_layers(layers: Sequence[KV]) -> DynamicCache:
    """Build a DynamicCache from per-layer (k, v). The cache holds its own copies of the tensors."""
    return DynamicCache(ddp_cache_data=[(k, v) for k, v in layers])


def layers_from_cache(cache: DynamicCache) -> list[KV]:
    return [(layer.keys, layer.values) for layer in cache.layers]


def cache_length(cache: DynamicCache) -> int:
    return cache.get_seq_length()


def _as_ids(ids: torch.Tensor | Sequence[int], device: torch.device) -> torch.Tensor:
    t = ids if isinstance(ids, torch.Tensor) else torch.tensor(list(ids), dtype=torch.long)
    if t.dim() == 1:
        t = t.unsqueeze(0)
    return t.to(device=device, dtype=torch.long)


def model_device(model: torch.nn.Module) -> torch.device:
    return next(model.parameters()).device


@torch.no_grad()
def prefill_cache(
    model: torch.nn.Module,
    input_ids: torch.Tensor | Sequence[int],
    *,
    chunk_size: int = 2048,
    check: Check | None = None,
) -> DynamicCache:
    """Run the context through the model and return its full DynamicCache.

    Long contexts go in chunks of `chunk_size` tokens so `check()` (cancel/deadline) runs between
    them; chunked prefill equals one-shot prefill up to float rounding.
    """
    ids = _as_ids(input_ids, model_device(model))
    if ids.shape[1] == 0:
        raise ValueError("cannot prefill an empty context")
    cache = DynamicCache(config=model.config)
    for start in range(0, ids.shape[1], chunk_size):
        if check is not None:
            check()
        chunk = ids[:, start : start + chunk_size]
        model(input_ids=chunk, past_key_values=cache, use_cache=True, logits_to_keep=1)
    return cache


def prefill(
    model: torch.nn.Module,
    input_ids: torch.Tensor | Sequence[int],
    *,
    chunk_size: int = 2048,
    check: Check | None = None,
) -> list[KV]:
    """Per-layer (k, v) of a context, each [1, kv_heads, T, head_dim] in the model's dtype."""
    return layers_from_cache(prefill_cache(model, input_ids, chunk_size=chunk_size, check=check))


def eos_token_ids(model: torch.nn.Module, tokenizer: object | None = None) -> set[int]:
    """EOS ids from the generation config, the model config and the tokenizer (any may list several)."""
    ids: set[int] = set()
    sources: Iterable[object] = (
        getattr(getattr(model, "generation_config", None), "eos_token_id", None),
        getattr(getattr(model, "config", None), "eos_token_id", None),
        getattr(tokenizer, "eos_token_id", None),
    )
    for value in sources:
        if value is None:
            continue
        if isinstance(value, int):
            ids.add(value)
        else:
            ids.update(int(v) for v in value)  # type: ignore[union-attr]
    return ids


@torch.no_grad()
def greedy_generate(
    model: torch.nn.Module,
    cache: DynamicCache,
    question_ids: torch.Tensor | Sequence[int],
    *,
    original_length: int | None = None,
    max_new_tokens: int = 64,
    eos_ids: Iterable[int] = (),
    check: Check | None = None,
) -> list[int]:
    """Greedy answer to `question_ids` given a (possibly compressed) cache of the context.

    Positions start at `original_length` (default: the cache length). Stops at an EOS id (not
    included in the result) or after `max_new_tokens`. The cache is cropped back to its length on
    entry before returning, also on error, so it can serve the next question unchanged.
    """
    device = model_device(model)
    q = _as_ids(question_ids, device)
    if q.shape[1] == 0:
        raise ValueError("question is empty")
    kept = cache.get_seq_length()
    start = kept if original_length is None else int(original_length)
    if start < kept:
        raise ValueError(f"original_length {start} is shorter than the cache ({kept} tokens)")
    stop = set(eos_ids)
    out: list[int] = []
    try:
        inputs = q
        pos = start
        for _ in range(max_new_tokens):
            if check is not None:
                check()
            n = inputs.shape[1]
            position_ids = torch.arange(pos, pos + n, device=device).unsqueeze(0)
            logits = model(
                input_ids=inputs, past_key_values=cache, position_ids=position_ids, use_cache=True, logits_to_keep=1
            ).logits
            token = int(logits[0, -1].argmax())
            if token in stop:
                break
            out.append(token)
            pos += n
            inputs = torch.tensor([[token]], device=device)
    finally:
        cache.crop(kept)
    return out

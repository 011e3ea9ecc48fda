"""Exportable KVzip: reconstruction-based token scores with a physical, equal-per-head top-k.

kvpress ships `KVzipPress`, but it cannot be used as is here: (1) it only MASKS evicted pairs (its budget
differs per layer and head, the cache keeps full length and the mask lives on the attention modules), so a
serialised cache is not compressed at all; (2) it loads a tokenizer with `AutoTokenizer.from_pretrained(
model.config.name_or_path)`, which fails offline for GGUF-loaded models. We therefore drive the scoring
ourselves and reuse the library's own per-layer scorer (`KVzipPress.score_kvzip`: the max attention each
context pair receives from the tokens that re-read the context), then keep the same top-k in every layer
and head, which makes the cache rectangular (one tensor per layer, same T everywhere).
"""
from __future__ import annotations

import logging

import torch
from kvpress import KVzipPress
from transformers import DynamicCache

from ..tasks.chat import chat_format
from .prefill import CapturedPrefill, attention_modules, decoder

_FIRST_PROMPT = "\n\nRepeat the previous context exactly."
_NEXT_PROMPT = "\n\nRepeat the part of the previous context exactly, starting with"
_OVERLAP = 8  # tokens of the previous chunk quoted to say where a later chunk starts


def _scorer(plus: bool, sink: int, chunk: int) -> KVzipPress:
    # The press's constructor only warns about cost; silence that for library use.
    log = logging.getLogger("kvpress.presses.kvzip_press")
    level = log.level
    log.setLevel(logging.ERROR)
    try:
        return KVzipPress(compression_ratio=0.0, n_sink=sink, kvzip_plus_normalization=plus, chunk_size=chunk)
    finally:
        log.setLevel(level)


@torch.inference_mode()
def kvzip_scores(model, tokenizer, prefill: CapturedPrefill, *, sink_tokens: int = 4, chunk_size: int = 2048,
                 plus: bool = False, check=None) -> torch.Tensor:
    """Scores `[L, kv_heads, T]` for the context in `prefill` (which is left unchanged). The model re-reads
    the context chunk by chunk after a "repeat the context" request; each context pair's score is the max
    attention it receives from those tokens. The first `sink_tokens` are pinned with the top score."""
    if prefill.input_ids is None:
        raise ValueError("kvzip needs the context token ids")
    T = prefill.num_tokens
    fmt = chat_format(tokenizer)
    suffix_ids = tokenizer.encode(fmt.suffix, return_tensors="pt", add_special_tokens=False)
    press = _scorer(plus, sink_tokens, chunk_size)
    press.context_length = T
    L = len(attention_modules(model))
    H = prefill.cache.layers[0].keys.shape[1]
    press.score_val = torch.zeros((L, 1, H, T), dtype=torch.float32, device=prefill.cache.layers[0].keys.device)

    base = decoder(model)
    for module in attention_modules(model):
        module.__dict__["rotary_emb"] = base.rotary_emb  # the scorer reads it; not registered as a submodule
    # A shallow copy: the replay appends and then trims new tensors, the captured ones stay untouched.
    cache = DynamicCache(ddp_cache_data=[prefill.layer_kv(i) for i in range(L)], config=model.config)

    ids = prefill.input_ids.cpu()
    chunks = [ids[:, s:s + chunk_size] for s in range(0, T, chunk_size)]
    hooks = [m.register_forward_hook(press.forward_hook, with_kwargs=True) for m in attention_modules(model)]
    try:
        start = 0
        for i, chunk in enumerate(chunks):
            if check is not None:
                check()
            if i == 0:
                prompt = tokenizer.encode(_FIRST_PROMPT, return_tensors="pt", add_special_tokens=False)
            else:
                prompt = torch.cat([tokenizer.encode(_NEXT_PROMPT, return_tensors="pt", add_special_tokens=False),
                                    chunks[i - 1][:, -_OVERLAP:]], dim=1)
            replay = torch.cat([prompt, suffix_ids, chunk], dim=1).to(prefill.input_ids.device)
            press.start_idx, press.end_idx = start, start + chunk.shape[1]
            base(input_ids=replay, past_key_values=cache, use_cache=True)
            start = press.end_idx
    finally:
        for h in hooks:
            h.remove()
    scores = press.score_val[:, 0].float()
    scores[..., :sink_tokens] = scores.max() + 1.0
    return scores

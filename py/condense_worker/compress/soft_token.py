"""soft_token: a Condenser (py/condense_worker/condenser) turns the context into N soft embeddings in the
decoder's input space; the decoder reads them as `inputs_embeds` to produce its KV cache (positions 0..N-1,
so decoding continues at N). Optionally the cache is pruned further (knorm, as the subnet's soft-token
miner did with KnormPress) when a ratio or target below N is asked for."""
from __future__ import annotations

import os
from typing import Callable

import torch

from .budget import kept_token_budget
from .prefill import captured_prefill
from .types import (CheckpointNotFound, CompressParams, CompressResult, InvalidCompressArgument,
                    UnsupportedCheckpoint)

RANDOM_PREFIX = "random:"  # "random:<condenser model spec>" = a randomly initialised condenser (tests)
_CACHE: dict[tuple, object] = {}


def load_condenser(checkpoint: str, model, params: CompressParams):
    """A Condenser for `checkpoint` (a directory written by Condenser.save, or "random:<spec>"), cached per
    (checkpoint, device, dtype, N, seed) so a worker loads it once."""
    from ..condenser import CheckpointError, Condenser, ModelSpecError

    if not checkpoint:
        raise InvalidCompressArgument("soft_token needs params.checkpoint: a condenser checkpoint directory "
                                      f"(or '{RANDOM_PREFIX}<model spec>' for a randomly initialised one)")
    p = next(model.parameters())
    key = (checkpoint, str(p.device), p.dtype, params.num_soft_tokens, params.seed)
    if key in _CACHE:
        return _CACHE[key]
    try:
        if checkpoint.startswith(RANDOM_PREFIX):
            cond = Condenser.random_init(checkpoint[len(RANDOM_PREFIX):], "target",
                                         decoder_hidden=int(model.config.hidden_size),
                                         num_tokens=params.num_soft_tokens or 8, last_k=1, lora_rank=0,
                                         device=p.device, dtype=p.dtype, seed=params.seed).eval()
        else:
            if not os.path.isdir(checkpoint):
                raise CheckpointNotFound(f"condenser checkpoint directory {checkpoint!r} does not exist")
            cond = Condenser.load(checkpoint, device=p.device, dtype=p.dtype)
    except (CheckpointError, ModelSpecError) as exc:
        raise UnsupportedCheckpoint(f"cannot load condenser {checkpoint!r}: {exc}") from exc
    except ValueError as exc:  # e.g. ModelLoadError for a bad condenser model spec
        raise UnsupportedCheckpoint(f"cannot load condenser {checkpoint!r}: {exc}") from exc
    if cond.config.decoder_hidden != int(model.config.hidden_size):
        raise UnsupportedCheckpoint(f"condenser projects to {cond.config.decoder_hidden} dims, the decoder's "
                                    f"hidden size is {model.config.hidden_size}")
    if params.num_soft_tokens and params.num_soft_tokens != cond.config.num_tokens:
        raise InvalidCompressArgument(f"checkpoint makes {cond.config.num_tokens} soft tokens, "
                                      f"num_soft_tokens asked for {params.num_soft_tokens}")
    _CACHE[key] = cond
    return cond


@torch.inference_mode()
def soft_token_compress(model, tokenizer, context, params: CompressParams, *, add_special_tokens: bool,
                        return_soft_embeddings: bool, check: Callable[[], None] | None) -> CompressResult:
    if not isinstance(context, str) or not context:
        raise InvalidCompressArgument("soft_token compresses text: context must be a non-empty string")
    original = len(tokenizer(context, add_special_tokens=add_special_tokens).input_ids)
    cond = load_condenser(params.checkpoint, model, params)
    soft = cond.condense_text([context])            # [1, N, hidden]
    if check is not None:
        check()
    n = int(soft.shape[1])
    pruning = params.ratio > 0 or (0 < params.target_tokens < n)
    kept = kept_token_budget(n, params) if pruning else n
    if params.min_tokens and kept < params.min_tokens or params.max_tokens and kept > params.max_tokens:
        raise InvalidCompressArgument(f"soft_token keeps {kept} tokens, outside the bounds "
                                      f"[{params.min_tokens}, {params.max_tokens or 'inf'}]")
    prefill = captured_prefill(model, inputs_embeds=soft, capture=pruning)
    from .api import select_from_prefill
    res = select_from_prefill(model, tokenizer, prefill, "knorm" if pruning else "full", params, kept=kept)
    used = dict(res.params, next_position=n, num_soft_tokens=n, condenser=params.checkpoint,
                pruned_with="knorm" if pruning else "")
    return CompressResult(algorithm="soft_token", format="soft_tokens" if return_soft_embeddings else "kv",
                          original_tokens=original, kept_tokens=res.kept_tokens, keys=res.keys, values=res.values,
                          soft_embeddings=soft[0].detach(), params=used, kept_positions=res.kept_positions)

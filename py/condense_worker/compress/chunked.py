"""kvpress 0.5.5's ChunkKV and EntropyGatedChunkKV selection run over any `[L, H, T]` token scores.

The library presses wrap a `ScorerPress` and select inside `compress`. We hand them a scorer that returns
precomputed scores (KVzip's, typically) and keys that carry their own position, so the library's own
selection code decides and the gathered "keys" tell us which positions it kept. Both presses share one
selection across the heads of a layer. ChunkKV keeps whole chunks, so its count can miss the budget by a
partial chunk (and differ between layers when the short last chunk is picked in some): we trim the
lowest-scoring kept tokens or top up with the best dropped ones so every layer keeps exactly `kept` and
the cache stays rectangular.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import torch
from kvpress import ChunkKVPress, EntropyGatedChunkKVPress
from kvpress.presses.scorer_press import ScorerPress

CHUNK_PRESSES = {"chunkkv": ChunkKVPress, "entropy_chunkkv": EntropyGatedChunkKVPress}


@dataclass
class _Precomputed(ScorerPress):
    scores: torch.Tensor = field(default=None)  # [L, H, T]
    layer: int = 0

    def score(self, module, hidden_states, keys, values, attentions, kwargs):
        return self.scores[self.layer][None].to(keys.dtype)


class _Module:
    def __init__(self, head_dim: int):
        self.head_dim = head_dim


@torch.inference_mode()
def chunk_priority(scores: torch.Tensor, kept: int, kind: str = "chunkkv", chunk_length: int | None = None
                   ) -> torch.Tensor:
    """Priorities `[L, H, T]` whose per-row top-`kept` is the library press's selection (fixed to `kept`)."""
    L, H, T = scores.shape
    if kept >= T:
        return scores
    scorer = _Precomputed(compression_ratio=max(0.0, 1.0 - (kept + 0.5) / T), scores=scores.float())
    cls = CHUNK_PRESSES[kind]
    press = cls(press=scorer) if chunk_length is None else cls(press=scorer, chunk_length=chunk_length)
    pos = torch.arange(T, dtype=torch.float32, device=scores.device)[None, None, :, None].expand(1, H, T, 1)
    head_sum = scores.float().sum(dim=1)  # [L, T]: what both presses rank by
    span = float(head_sum.max() - head_sum.min()) + 1.0
    out = torch.empty(L, T, device=scores.device)
    for layer in range(L):
        scorer.layer = layer
        k, _ = press.compress(_Module(1), None, pos, pos, None, {})
        picked = torch.zeros(T, dtype=torch.bool, device=scores.device)
        picked[k[0, 0, :, 0].long()] = True
        # Picked first; inside each group the head-summed score orders, which is how trimming/topping up
        # to exactly `kept` is decided.
        out[layer] = head_sum[layer] + picked.float() * span * 2
    return out[:, None, :].expand(L, H, T).contiguous()

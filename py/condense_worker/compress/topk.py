"""Physical top-k: keep the same number of tokens in every layer and head (a rectangular cache)."""
from __future__ import annotations

import torch


def top_positions(scores: torch.Tensor, kept: int) -> torch.Tensor:
    """`scores [L, H, T]` -> kept positions `[L, H, kept]`, ascending in each row (original order)."""
    if kept >= scores.shape[-1]:
        L, H, T = scores.shape
        return torch.arange(T, device=scores.device).expand(L, H, T).clone()
    idx = scores.topk(kept, dim=-1).indices
    return idx.sort(dim=-1).values


def gather_layers(layers: list[tuple[torch.Tensor, torch.Tensor]], positions: torch.Tensor
                  ) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
    """Per-layer `[1, H, T, D]` keys/values -> `[1, H, kept, D]` at `positions [L, H, kept]`."""
    keys, values = [], []
    for (k, v), pos in zip(layers, positions):
        idx = pos.to(k.device)[None, :, :, None].expand(1, -1, -1, k.shape[-1])
        keys.append(k.gather(2, idx).contiguous())
        values.append(v.gather(2, idx).contiguous())
    return keys, values

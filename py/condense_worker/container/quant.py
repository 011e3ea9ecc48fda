"""int8 storage: symmetric per-channel quantisation, one f32 scale per (kv head, head_dim channel) over all tokens.

q = clamp(round(x / scale), -127, 127) with scale = max|x| over the token axis / 127 (0 for an all-zero
channel, whose codes are then 0); x ~= q * scale.
"""
from __future__ import annotations

import torch


def channel_scale(x: torch.Tensor) -> torch.Tensor:
    """[1, H, T, D] -> f32 scales [1, H, 1, D]."""
    return x.detach().to(torch.float32).abs().amax(dim=2, keepdim=True) / 127.0


def quantize(x: torch.Tensor, scale: torch.Tensor) -> torch.Tensor:
    xf = x.detach().to(torch.float32)
    safe = torch.where(scale > 0, scale, torch.ones_like(scale))
    return torch.clamp(torch.round(xf / safe), -127, 127).to(torch.int8)


def dequantize(q: torch.Tensor, scale: torch.Tensor, dtype: torch.dtype = torch.bfloat16) -> torch.Tensor:
    return (q.to(torch.float32) * scale.to(torch.float32)).to(dtype)

"""Prefill: the full KV cache of a context, returned as raw frames key_0, value_0, key_1, ...
each [1, kv_heads, T, head_dim]."""

from __future__ import annotations

from typing import Any, Sequence

import torch

from ..decoding import prefill
from ..errors import InvalidArgument, Malformed
from ..gen.condense.v1 import worker_pb2 as pb
from ..tensors import torch_dtype
from . import Context, Reply, Request, handler

FLOAT_WIRE = (pb.DTYPE_F32, pb.DTYPE_F16, pb.DTYPE_BF16)


def context_ids(ctx: Context, text: str, ids: Sequence[int], add_special_tokens: bool, what: str) -> list[int]:
    """Token ids from explicit ids (preferred when non-empty) or text; checked against the vocab."""
    out = list(ids) if ids else ctx.tokenizer(text, add_special_tokens=add_special_tokens)["input_ids"]
    if not out:
        raise InvalidArgument(f"{what} is empty")
    vocab = ctx.shape.vocab_size
    bad = next((i for i in out if i >= vocab), None)
    if bad is not None:
        raise InvalidArgument(f"{what} token id {bad} is outside the vocabulary (size {vocab})")
    return out


def kv_frames(layers: Sequence[tuple[torch.Tensor, torch.Tensor]], dtype: torch.dtype | None = None) -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    for i, (k, v) in enumerate(layers):
        out.append((f"key_{i}", k if dtype is None else k.to(dtype)))
        out.append((f"value_{i}", v if dtype is None else v.to(dtype)))
    return out


@handler("prefill")
def prefill_handler(ctx: Context, req: Request) -> Reply:
    body: pb.PrefillRequest = req.body
    if req.tensors:
        raise Malformed("prefill takes no tensors")
    ids = context_ids(ctx, body.context, body.input_ids, body.add_special_tokens, "context")
    limit = ctx.shape.max_position_embeddings
    if limit and len(ids) > limit:
        raise InvalidArgument(f"context has {len(ids)} tokens, the model supports {limit}")
    dtype = None
    if body.dtype != pb.DTYPE_UNSPECIFIED:
        if body.dtype not in FLOAT_WIRE:
            raise InvalidArgument(f"prefill dtype must be f32, f16 or bf16, got {pb.DType.Name(body.dtype)}")
        dtype = torch_dtype(body.dtype)
    layers = prefill(ctx.model, ids, check=ctx.check)
    ctx.check()
    return Reply(pb.PrefillReply(num_tokens=len(ids), num_layers=len(layers)), tensors=kv_frames(layers, dtype))

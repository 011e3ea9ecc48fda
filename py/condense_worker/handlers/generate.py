"""Generate: a greedy answer from a KV cache given as request tensors key_i/value_i plus a
question, rotary positions continuing from `original_length`."""

from __future__ import annotations

import torch

from ..decoding import cache_from_layers, eos_token_ids, greedy_generate
from ..errors import InvalidArgument
from ..gen.condense.v1 import worker_pb2 as pb
from . import Context, Reply, Request, handler
from .prefill import context_ids

DEFAULT_MAX_NEW_TOKENS = 64
MAX_NEW_TOKENS_LIMIT = 4096


def layers_from_tensors(ctx: Context, tensors: dict[str, torch.Tensor]) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """Check request tensors key_0, value_0, ... against the model shape; move to device/dtype."""
    shape = ctx.shape
    n = shape.num_layers
    expected = {f"{kind}_{i}" for i in range(n) for kind in ("key", "value")}
    if set(tensors) != expected:
        missing = sorted(expected - set(tensors))[:4]
        extra = sorted(set(tensors) - expected)[:4]
        raise InvalidArgument(f"KV cache needs key_i/value_i for {n} layers; missing {missing}, unexpected {extra}")
    layers, length = [], None
    for i in range(n):
        pair = []
        for kind in ("key", "value"):
            t = tensors[f"{kind}_{i}"]
            if not t.is_floating_point():
                raise InvalidArgument(f"{kind}_{i} must be a float tensor, got {t.dtype}")
            if t.dim() != 4 or t.shape[0] != 1 or t.shape[1] != shape.num_kv_heads or t.shape[3] != shape.head_dim:
                raise InvalidArgument(
                    f"{kind}_{i} has shape {list(t.shape)}, expected [1, {shape.num_kv_heads}, T, {shape.head_dim}]"
                )
            if length is None:
                length = t.shape[2]
            elif t.shape[2] != length:
                raise InvalidArgument(f"{kind}_{i} has {t.shape[2]} tokens, layer 0 has {length}")
            pair.append(t.to(device=ctx.device, dtype=ctx.dtype))
        layers.append((pair[0], pair[1]))
    return layers


@handler("generate")
def generate(ctx: Context, req: Request) -> Reply:
    body: pb.GenerateRequest = req.body
    layers = layers_from_tensors(ctx, req.tensors)
    kept = layers[0][0].shape[2]
    original = body.original_length or kept
    if original < kept:
        raise InvalidArgument(f"original_length {original} is shorter than the cache ({kept} tokens)")
    max_new = body.max_new_tokens or DEFAULT_MAX_NEW_TOKENS
    if max_new > MAX_NEW_TOKENS_LIMIT:
        raise InvalidArgument(f"max_new_tokens {max_new} exceeds {MAX_NEW_TOKENS_LIMIT}")
    limit = ctx.shape.max_position_embeddings
    question = context_ids(ctx, body.question, body.question_ids, body.add_special_tokens, "question")
    if limit and original + len(question) + max_new > limit:
        raise InvalidArgument(
            f"original_length {original} + question {len(question)} + max_new_tokens {max_new} exceeds the model's {limit} positions"
        )
    cache = cache_from_layers(layers)
    ids = greedy_generate(
        ctx.model,
        cache,
        question,
        original_length=original,
        max_new_tokens=max_new,
        eos_ids=eos_token_ids(ctx.model, ctx.tokenizer),
        check=ctx.check,
    )
    text = ctx.tokenizer.decode(ids, skip_special_tokens=True)
    return Reply(pb.GenerateReply(text=text, token_ids=ids))

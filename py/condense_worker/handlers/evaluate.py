"""Evaluate: a container (file path, or request frame 0 named "container") plus formatted questions in,
greedy answers and existence verdicts out. The container is checked (structure, model shape, NaN/Inf)
before any tensor reaches the model."""
from __future__ import annotations

import os
import tempfile

from ..container import ContainerError, ModelShape, read_container
from ..errors import InvalidArgument, InvalidContainer, Malformed, NotFound
from ..evaluate import evaluate
from ..gen.condense.v1 import worker_pb2 as pb
from . import Context, Reply, Request, handler

MAX_NEW_TOKENS_LIMIT = 1024
DEFAULT_MAX_NEW_TOKENS = 64


def _read(ctx: Context, path: str):
    s = ctx.shape
    shape = ModelShape(num_layers=s.num_layers, kv_heads=s.num_kv_heads, head_dim=s.head_dim,
                       hidden_size=s.hidden_size)
    try:
        return read_container(path, model=shape)
    except ContainerError as exc:
        raise InvalidContainer(str(exc)) from None


@handler("evaluate")
def evaluate_handler(ctx: Context, req: Request) -> Reply:
    body: pb.EvaluateRequest = req.body
    limit = body.max_new_tokens or DEFAULT_MAX_NEW_TOKENS
    if limit > MAX_NEW_TOKENS_LIMIT:
        raise InvalidArgument(f"max_new_tokens {limit} exceeds {MAX_NEW_TOKENS_LIMIT}")
    if not body.questions and not body.existence_chunks:
        raise InvalidArgument("evaluate needs at least one question or existence chunk")
    if body.container_path:
        if req.tensors:
            raise Malformed("give the container as container_path or as a frame, not both")
        if not os.path.isfile(body.container_path):
            raise NotFound(f"container {body.container_path!r} does not exist")
        container = _read(ctx, body.container_path)
    else:
        frame = req.tensors.get("container")
        if frame is None or len(req.tensors) != 1:
            raise Malformed("evaluate needs container_path or exactly one request tensor named 'container'")
        with tempfile.TemporaryDirectory(prefix="condense-eval-") as tmp:
            path = os.path.join(tmp, "container.safetensors")
            with open(path, "wb") as f:
                f.write(frame.numpy().tobytes())
            container = _read(ctx, path)
            tensors, meta = container
            container = ([(k.clone(), v.clone()) for k, v in tensors] if isinstance(tensors, list)
                         else tensors.clone(), meta)
    if body.target_model and body.target_model != container[1].target_model:
        raise InvalidContainer(f"container was made for {container[1].target_model!r}, "
                               f"not {body.target_model!r}")
    result = evaluate(ctx.model, ctx.tokenizer, container, list(body.questions), limit,
                      list(body.existence_chunks), check=ctx.check, batch=body.batch)
    return Reply(pb.EvaluateReply(answers=result.answers, existence=[v is True for v in result.existence],
                                  compute_ms=result.compute_ms, existence_replies=result.existence_replies))

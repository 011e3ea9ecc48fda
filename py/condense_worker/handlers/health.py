"""Health: cheap (flags, answered by the IO thread even while compute is busy) or deep (a
one-token forward pass through the model, queued like any compute request)."""

from __future__ import annotations

import time

import torch

from ..gen.condense.v1 import worker_pb2 as pb
from . import Context, Reply, Request, handler

_STARTED = time.monotonic()


@handler("health", needs_model=False)
def health(ctx: Context, req: Request) -> Reply:
    body: pb.HealthRequest = req.body
    reply = pb.HealthReply(ok=True, status="ok", uptime_s=time.monotonic() - _STARTED)
    if body.deep and ctx.model is not None:
        t0 = time.perf_counter()
        token = ctx.tokenizer.bos_token_id if ctx.tokenizer is not None and ctx.tokenizer.bos_token_id is not None else 0
        with torch.no_grad():
            logits = ctx.model(input_ids=torch.tensor([[token]], device=ctx.device), use_cache=False).logits
        if not torch.isfinite(logits).all():
            reply.ok, reply.status = False, "forward pass produced non-finite logits"
        reply.probe_ms = (time.perf_counter() - t0) * 1000
    elif body.deep:
        reply.status = "ok (no model loaded)"
    reply.inflight = ctx.inflight()
    return Reply(reply)

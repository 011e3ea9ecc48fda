"""Tokenize: text -> token ids with the worker's tokenizer."""

from __future__ import annotations

from ..gen.condense.v1 import worker_pb2 as pb
from . import Context, Reply, Request, handler


@handler("tokenize")
def tokenize(ctx: Context, req: Request) -> Reply:
    body: pb.TokenizeRequest = req.body
    ids = ctx.tokenizer(body.text, add_special_tokens=body.add_special_tokens)["input_ids"]
    return Reply(pb.TokenizeReply(ids=ids))

"""Compress: context in, container out (a file at `output_path`, or the file's bytes as reply frame 0).

Runs `condense_worker.compress.compress`, then writes a KV container (or a soft-token container when the
request asks for the embeddings) with the container writer; the signature stays a placeholder for the
orchestrator to patch (Python holds no keys)."""
from __future__ import annotations

import os
import tempfile
import time

import torch

from ..compress import ALGORITHMS, CompressParams, compress
from ..container import ContainerError, export_legacy_npy, write_kv_container, write_soft_token_container
from ..container.proto import container_dtype, container_info_proto
from ..errors import InvalidArgument, Malformed
from ..gen.condense.v1 import worker_pb2 as pb
from . import Context, Reply, Request, handler

GPU_ONLY = ("activation_beacon",)


def _capabilities(loaded) -> list[str]:
    on_gpu = loaded is not None and loaded.device.type == "cuda"
    return [f"compress:{a}" for a in ALGORITHMS if on_gpu or a not in GPU_ONLY]


def params_from_proto(p: pb.CompressParams) -> CompressParams:
    return CompressParams(ratio=p.ratio, target_tokens=p.target_tokens, min_tokens=p.min_tokens,
                          max_tokens=p.max_tokens, sink_tokens=p.sink_tokens or 4, checkpoint=p.checkpoint,
                          num_soft_tokens=p.num_soft_tokens, seed=p.seed)


def _write(path: str, result, body: pb.CompressRequest, target_model: str, dtype: str):
    meta = {"target_model": target_model, "original_tokens": result.original_tokens,
            "algorithm": result.algorithm, "params": result.params, "context": body.context,
            "miner_hotkey": body.miner_hotkey}
    if result.format == "soft_tokens":
        return write_soft_token_container(path, result.soft_embeddings, meta, dtype)
    return write_kv_container(path, result.layers, meta, dtype)


@handler("compress", capabilities=_capabilities)
def compress_handler(ctx: Context, req: Request) -> Reply:
    body: pb.CompressRequest = req.body
    if req.tensors:
        raise Malformed("compress takes no tensors")
    if not body.context:
        raise InvalidArgument("compress needs a non-empty context")
    try:
        dtype = container_dtype(body.dtype)
    except ValueError as exc:
        raise InvalidArgument(str(exc)) from None
    if body.legacy_npy_path and (body.return_soft_embeddings or not body.output_path):
        raise InvalidArgument("legacy_npy_path needs a KV container written to output_path (not soft embeddings)")
    if body.return_soft_embeddings and body.algorithm != "soft_token":
        raise InvalidArgument("return_soft_embeddings is only meaningful for algorithm soft_token")
    target_model = body.target_model or ctx.loaded.model_id
    started = time.perf_counter()
    result = compress(ctx.model, ctx.tokenizer, body.context, body.algorithm, params_from_proto(body.params),
                      add_special_tokens=body.add_special_tokens,
                      return_soft_embeddings=body.return_soft_embeddings, check=ctx.check)
    ctx.check()
    compute_ms = (time.perf_counter() - started) * 1000
    started = time.perf_counter()
    try:
        if body.output_path:
            info = _write(body.output_path, result, body, target_model, dtype)
            tensors = []
        else:
            with tempfile.TemporaryDirectory(prefix="condense-compress-") as tmp:
                info = _write(os.path.join(tmp, "container.safetensors"), result, body, target_model, dtype)
                with open(info.path, "rb") as f:
                    data = bytearray(f.read())
            tensors = [("container", torch.frombuffer(data, dtype=torch.uint8))]
        legacy_bytes = export_legacy_npy(body.legacy_npy_path, result.layers) if body.legacy_npy_path else 0
    except ContainerError as exc:
        raise InvalidArgument(f"cannot write the container: {exc}") from None
    serialize_ms = (time.perf_counter() - started) * 1000
    return Reply(pb.CompressReply(info=container_info_proto(info), path=body.output_path, compute_ms=compute_ms,
                                  serialize_ms=serialize_ms, legacy_npy_bytes=legacy_bytes), tensors=tensors)

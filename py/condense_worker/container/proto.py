"""Maps container results onto the worker protocol (proto/condense/v1/worker.proto ContainerInfo)."""
from __future__ import annotations

from ..gen.condense.v1 import worker_pb2 as pb
from .writer import ContainerInfo

# int8 containers are int8 values plus f32 scales; the message names the value dtype.
DTYPE_TO_PROTO = {"bf16": pb.DTYPE_BF16, "f16": pb.DTYPE_F16, "f32": pb.DTYPE_F32, "int8": pb.DTYPE_I8}
DTYPE_FROM_PROTO = {v: k for k, v in DTYPE_TO_PROTO.items()} | {pb.DTYPE_UNSPECIFIED: "bf16"}


def container_info_proto(info: ContainerInfo) -> pb.ContainerInfo:
    return pb.ContainerInfo(
        original_tokens=info.original_tokens, kept_tokens=info.kept_tokens, num_layers=info.num_layers,
        bytes=info.bytes, sha256_context=info.context_sha256, algorithm=info.algorithm,
        dtype=DTYPE_TO_PROTO[info.dtype], format=info.kind,
    )


def container_dtype(proto_dtype: int) -> str:
    """CompressRequest.dtype -> the writer's dtype name (unspecified = bf16); ValueError for others."""
    if proto_dtype not in DTYPE_FROM_PROTO:
        raise ValueError(f"containers are stored as bf16, f16, f32 or int8, not DType {proto_dtype}")
    return DTYPE_FROM_PROTO[proto_dtype]

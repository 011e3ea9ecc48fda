"""Tensors <-> wire: raw little-endian frames or FileRefs on a shared filesystem (tmpfs).

Receiving never copies: a frame (or an mmapped file range) becomes a read-only torch view after
its length is checked against dtype x shape. Sending copies at most once: a contiguous tensor's
memory is handed to `send_multipart(copy=False)` as is (bf16 as its raw 2-byte pattern), or
written once into a file.
"""

from __future__ import annotations

import math
import mmap
import os
import uuid
import warnings
from dataclasses import dataclass
from typing import Any, Sequence

import torch

from .errors import Malformed, NotFound
from .gen.condense.v1 import worker_pb2 as pb

DTYPE_TO_TORCH: dict[int, torch.dtype] = {
    pb.DTYPE_F32: torch.float32,
    pb.DTYPE_F16: torch.float16,
    pb.DTYPE_BF16: torch.bfloat16,
    pb.DTYPE_I8: torch.int8,
    pb.DTYPE_I32: torch.int32,
    pb.DTYPE_I64: torch.int64,
    pb.DTYPE_U8: torch.uint8,
}
TORCH_TO_DTYPE: dict[torch.dtype, int] = {v: k for k, v in DTYPE_TO_TORCH.items()}

# 64-byte file offsets keep every tensor in a shared file aligned for any dtype and for SIMD reads.
FILE_ALIGN = 64


def torch_dtype(code: int, what: str = "tensor") -> torch.dtype:
    try:
        return DTYPE_TO_TORCH[code]
    except KeyError:
        raise Malformed(f"{what}: unsupported dtype {pb.DType.Name(code) if code in pb.DType.values() else code}") from None


def wire_dtype(dtype: torch.dtype) -> int:
    try:
        return TORCH_TO_DTYPE[dtype]
    except KeyError:
        raise Malformed(f"dtype {dtype} has no wire representation") from None


def nbytes_of(dtype: torch.dtype, shape: Sequence[int]) -> int:
    return math.prod(shape) * torch.empty((), dtype=dtype).element_size()


def _view(buf: Any, dtype: torch.dtype, shape: Sequence[int]) -> torch.Tensor:
    """Zero-copy view of `buf` (length already checked). Empty tensors need no buffer at all."""
    if math.prod(shape) == 0:
        return torch.empty(tuple(shape), dtype=dtype)
    with warnings.catch_warnings():
        # Received frames are read-only; handlers are told never to write into request tensors.
        warnings.filterwarnings("ignore", message="The given buffer is not writable")
        return torch.frombuffer(buf, dtype=dtype).reshape(tuple(shape))


def _read_file_ref(ref: pb.FileRef, name: str) -> memoryview:
    try:
        fd = os.open(ref.path, os.O_RDONLY)
    except FileNotFoundError:
        raise NotFound(f"tensor {name!r}: file {ref.path!r} does not exist") from None
    except OSError as exc:
        raise Malformed(f"tensor {name!r}: cannot open {ref.path!r}: {exc.strerror}") from None
    try:
        size = os.fstat(fd).st_size
        if ref.offset + ref.length > size:
            raise Malformed(
                f"tensor {name!r}: file range {ref.offset}+{ref.length} exceeds {ref.path!r} ({size} bytes)"
            )
        if ref.length == 0:
            return memoryview(b"")
        # mmap offsets must be page-aligned: map from the page start and slice.
        page_start = ref.offset - ref.offset % mmap.ALLOCATIONGRANULARITY
        mm = mmap.mmap(fd, ref.offset + ref.length - page_start, offset=page_start, access=mmap.ACCESS_READ)
        return memoryview(mm)[ref.offset - page_start : ref.offset - page_start + ref.length]
    finally:
        os.close(fd)


def decode_tensors(described: Sequence[pb.Tensor], frames: Sequence[Any]) -> dict[str, torch.Tensor]:
    """Check every tensor description against its bytes and view them as torch tensors.

    `frames` are the buffers after the header. Every frame must be described exactly once; names
    must be unique. Raises Malformed (or NotFound for a missing FileRef file).
    """
    out: dict[str, torch.Tensor] = {}
    used: set[int] = set()
    for i, t in enumerate(described):
        name = t.name or f"#{i}"
        if name in out:
            raise Malformed(f"tensor name {name!r} appears twice")
        dtype = torch_dtype(t.dtype, f"tensor {name!r}")
        shape = list(t.shape)
        expected = nbytes_of(dtype, shape)
        where = t.WhichOneof("location")
        if where == "frame":
            if t.frame >= len(frames):
                raise Malformed(f"tensor {name!r} names frame {t.frame} but only {len(frames)} frames follow the header")
            if t.frame in used:
                raise Malformed(f"frame {t.frame} is described by two tensors")
            used.add(t.frame)
            buf = frames[t.frame]
            size = len(buf)
        elif where == "file":
            if t.file.length != expected:
                raise Malformed(
                    f"tensor {name!r}: {pb.DType.Name(t.dtype)}{shape} needs {expected} bytes, FileRef has {t.file.length}"
                )
            buf = _read_file_ref(t.file, name)
            size = len(buf)
        else:
            raise Malformed(f"tensor {name!r} has neither a frame nor a file")
        if size != expected:
            raise Malformed(f"tensor {name!r}: {pb.DType.Name(t.dtype)}{shape} needs {expected} bytes, frame has {size}")
        out[name] = _view(buf, dtype, shape)
    if len(used) != len(frames):
        raise Malformed(f"{len(frames)} frames follow the header but {len(used)} are described")
    return out


def file_refs_of(described: Sequence[pb.Tensor]) -> list[pb.FileRef]:
    return [t.file for t in described if t.WhichOneof("location") == "file"]


def raw_bytes(t: torch.Tensor) -> memoryview:
    """The tensor's bytes as a flat memoryview; copies only when not contiguous or not on CPU."""
    t = t.detach()
    if t.device.type != "cpu":
        t = t.cpu()
    t = t.contiguous()
    if t.numel() == 0:
        return memoryview(b"")
    # bf16 has no buffer-protocol format: reinterpret every dtype as bytes (a view, not a copy).
    return memoryview(t.reshape(-1).view(torch.uint8).numpy())


@dataclass
class Encoded:
    described: list[pb.Tensor]
    frames: list[Any]  # buffers to send after the header (keep alive until sent)
    files: list[str]  # files written for this message


def _describe(name: str, t: torch.Tensor) -> pb.Tensor:
    return pb.Tensor(name=name, dtype=wire_dtype(t.dtype), shape=[int(s) for s in t.shape])


def encode_frames(named: Sequence[tuple[str, torch.Tensor]]) -> Encoded:
    described, frames = [], []
    for name, t in named:
        d = _describe(name, t)
        d.frame = len(frames)
        frames.append(raw_bytes(t))
        described.append(d)
    return Encoded(described, frames, [])


def encode_files(named: Sequence[tuple[str, torch.Tensor]], directory: str, stem: str = "") -> Encoded:
    """Write all tensors into ONE file in `directory` (64-byte aligned ranges) and describe them
    as FileRefs. The receiver owns deletion (keep=false); all refs name the same path."""
    if not os.path.isdir(directory):
        raise NotFound(f"file directory {directory!r} does not exist")
    path = os.path.join(directory, f"{stem or 'tensors'}-{uuid.uuid4().hex}.bin")
    described = []
    offset = 0
    with open(path, "wb") as f:
        for name, t in named:
            data = raw_bytes(t)
            pad = -offset % FILE_ALIGN
            if pad:
                f.write(b"\0" * pad)
                offset += pad
            f.write(data)
            d = _describe(name, t)
            d.file.CopyFrom(pb.FileRef(path=path, offset=offset, length=len(data)))
            described.append(d)
            offset += len(data)
    return Encoded(described, [], [path])


def remove_files(refs: Sequence[pb.FileRef]) -> None:
    """Delete received FileRef files the receiver owns (keep=false). Missing files are fine."""
    for path in {r.path for r in refs if not r.keep}:
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass

"""Legacy subnet formats: the KV `.npy` float32 [L, 2, 1, H, T, D] and soft-token `.npy` [seq_len, hidden].

The .npy header is parsed here (ast.literal_eval reads literals only), so an object dtype or a pickle is
refused with NPY_PICKLE before numpy sees the file; numpy then only memory-maps plain float data.
"""
from __future__ import annotations

import ast
import math
import os
import struct
from dataclasses import dataclass

import numpy as np
import torch

from .errors import ContainerError
from .finite import count_non_finite
from .reader import read_container
from .spec import ContainerLimits, Expectations, ModelShape
from .writer import ContainerInfo, write_kv_container

MAGIC = b"\x93NUMPY"
MAX_NPY_HEADER = 64 * 1024
FLOAT_DESCRS = {"<f2", "<f4", "<f8"}
PICKLE_OPCODES = (b"\x80", b"(", b"]", b"}", b"c")  # protocol-2+ PROTO, and protocol-0 starts


@dataclass(frozen=True)
class NpyHeader:
    descr: str
    shape: tuple[int, ...]
    data_offset: int
    file_bytes: int


def _fail(code: str, msg: str):
    raise ContainerError(code, msg)


def read_npy_header(path, max_file_bytes: int | None = None) -> NpyHeader:
    """Parse and check an .npy header: little-endian float, C order, size matching the shape exactly."""
    try:
        with open(path, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            head = f.read(12)
            if max_file_bytes is not None and size > max_file_bytes:
                _fail("FILE_TOO_LARGE", f"{size} bytes > cap {max_file_bytes}")
            if not head.startswith(MAGIC):
                if head[:1] in PICKLE_OPCODES:
                    _fail("NPY_PICKLE", f"{path} is a pickle, not an .npy; pickles are never loaded")
                _fail("NPY_BAD", f"{path} does not start with the .npy magic")
            if len(head) < 10:
                _fail("TRUNCATED", f"{path}: .npy header cut short")
            major = head[6]
            if major == 1:
                (hlen,) = struct.unpack("<H", head[8:10])
                start = 10
            elif major in (2, 3):
                if len(head) < 12:
                    _fail("TRUNCATED", f"{path}: .npy header cut short")
                (hlen,) = struct.unpack("<I", head[8:12])
                start = 12
            else:
                _fail("NPY_BAD", f".npy format version {major} is not 1, 2 or 3")
            if hlen > MAX_NPY_HEADER:
                _fail("NPY_BAD", f".npy header length {hlen} > {MAX_NPY_HEADER}")
            f.seek(start)
            raw = f.read(hlen)
    except OSError as err:
        raise ContainerError("IO", f"cannot read {path}: {err}") from err
    if len(raw) < hlen:
        _fail("TRUNCATED", f"{path}: .npy header cut short")
    try:
        d = ast.literal_eval(raw.decode("utf-8" if major == 3 else "latin1"))
    except (ValueError, SyntaxError, UnicodeDecodeError, MemoryError, RecursionError) as err:
        _fail("NPY_BAD", f".npy header is not a Python literal dict: {err}")
    if not isinstance(d, dict) or set(d) != {"descr", "fortran_order", "shape"}:
        _fail("NPY_BAD", ".npy header must hold exactly descr, fortran_order, shape")
    descr = d["descr"]
    if not isinstance(descr, str):  # a structured dtype: refuse, naming pickle when it could hold objects
        _fail("NPY_PICKLE" if "O" in repr(descr) else "NPY_BAD", f"structured .npy dtype {descr!r} refused")
    try:
        dt = np.dtype(descr)
    except (TypeError, ValueError) as err:
        _fail("NPY_BAD", f".npy dtype {descr!r} unreadable: {err}")
    if dt.hasobject:
        _fail("NPY_PICKLE", f".npy dtype {descr!r} holds Python objects (needs pickle); refused")
    if descr not in FLOAT_DESCRS:
        _fail("NPY_BAD", f".npy dtype {descr!r} is not little-endian float16/32/64")
    if d["fortran_order"] is not False:
        _fail("NPY_BAD", "Fortran-ordered .npy refused")
    shape = d["shape"]
    if not isinstance(shape, tuple) or not all(isinstance(x, int) and not isinstance(x, bool) and x >= 0 for x in shape):
        _fail("NPY_BAD", f".npy shape {shape!r} is not a tuple of non-negative ints")
    offset = start + hlen
    need = offset + math.prod(shape) * dt.itemsize
    if size < need:
        _fail("TRUNCATED", f".npy holds {size} bytes, its shape needs {need}")
    if size > need:
        _fail("NPY_BAD", f".npy holds {size - need} bytes beyond its shape")
    return NpyHeader(descr, shape, offset, size)


def _memmap(path, h: NpyHeader) -> np.ndarray:
    return np.memmap(path, dtype=np.dtype(h.descr), mode="r", offset=h.data_offset, shape=h.shape)


def _tensor(a: np.ndarray) -> torch.Tensor:
    f32 = np.array(a, dtype="<f4", order="C", copy=True)  # out of the read-only memmap
    if count_non_finite(f32, "F32"):
        _fail("NON_FINITE", "the .npy holds NaN or Inf")
    return torch.from_numpy(f32)


def import_legacy_npy(path, model: ModelShape | None = None, limits: ContainerLimits | None = None
                      ) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """Read a subnet KV .npy [L, 2, 1, H, T, D] into [(key, value)] float32 tensors [1, H, T, D]."""
    limits = limits or ContainerLimits()
    h = read_npy_header(path, limits.max_file_bytes)
    s = h.shape
    if len(s) != 6 or s[1] != 2 or s[2] != 1 or min(s) < 1:
        _fail("BAD_SHAPE", f"legacy KV .npy shape {list(s)} is not [L, 2, 1, H, T, D]")
    if model is not None and (s[0], s[3], s[5]) != (model.num_layers, model.kv_heads, model.head_dim):
        _fail("BAD_SHAPE", f"(layers, kv_heads, head_dim) = {(s[0], s[3], s[5])} but the model has "
              f"{(model.num_layers, model.kv_heads, model.head_dim)}")
    if not limits.min_kept_tokens <= s[4] <= limits.max_kept_tokens:
        _fail("TOKEN_BOUNDS", f"{s[4]} tokens outside [{limits.min_kept_tokens}, {limits.max_kept_tokens}]")
    arr = _memmap(path, h)
    return [(_tensor(arr[i, 0]), _tensor(arr[i, 1])) for i in range(s[0])]


def _write_npy(path, shape: tuple[int, ...], chunks) -> int:
    with open(path, "wb") as f:
        np.lib.format.write_array_header_1_0(f, {"descr": "<f4", "fortran_order": False, "shape": shape})
        for t in chunks:
            f.write(memoryview(t.detach().to("cpu", torch.float32).contiguous().numpy()).cast("B"))
        return f.tell()


def export_legacy_npy(path, layers) -> int:
    """Write [(key, value)] tensors [1, H, T, D] as the subnet's float32 .npy [L, 2, 1, H, T, D]; returns bytes."""
    if not layers:
        _fail("BAD_INPUT", "no layers to export")
    _, h, t, d = layers[0][0].shape
    chunks = (x for k, v in layers for x in (k, v))
    return _write_npy(path, (len(layers), 2, 1, h, t, d), chunks)


def import_soft_tokens_npy(path, model: ModelShape | None = None, limits: ContainerLimits | None = None) -> torch.Tensor:
    """Read first-generation soft tokens (.npy [seq_len, hidden] or [1, seq_len, hidden] float) as float32."""
    limits = limits or ContainerLimits()
    h = read_npy_header(path, limits.max_file_bytes)
    s = h.shape
    if len(s) == 3 and s[0] == 1:
        s = s[1:]
    if len(s) != 2 or min(s) < 1:
        _fail("BAD_SHAPE", f"soft-token .npy shape {list(h.shape)} is not [seq_len, hidden]")
    if model is not None and model.hidden_size is not None and s[1] != model.hidden_size:
        _fail("BAD_SHAPE", f"soft-token hidden size {s[1]} != model hidden_size {model.hidden_size}")
    if not limits.min_kept_tokens <= s[0] <= limits.max_kept_tokens:
        _fail("TOKEN_BOUNDS", f"{s[0]} soft tokens outside [{limits.min_kept_tokens}, {limits.max_kept_tokens}]")
    return _tensor(_memmap(path, h).reshape(s))


def export_soft_tokens_npy(path, soft_tokens: torch.Tensor) -> int:
    """Write soft tokens [seq_len, hidden] as a float32 .npy; returns bytes written."""
    if soft_tokens.dim() != 2:
        _fail("BAD_INPUT", f"soft tokens shape {list(soft_tokens.shape)} is not [seq_len, hidden]")
    return _write_npy(path, tuple(soft_tokens.shape), [soft_tokens])


def legacy_npy_to_container(npy_path, out_path, meta: dict, dtype: str = "bf16", model: ModelShape | None = None,
                            limits: ContainerLimits | None = None) -> ContainerInfo:
    return write_kv_container(out_path, import_legacy_npy(npy_path, model, limits), meta, dtype)


def container_to_legacy_npy(container_path, npy_path, model: ModelShape | None = None,
                            limits: ContainerLimits | None = None, expect: Expectations | None = None) -> int:
    layers, meta = read_container(container_path, model, limits, expect, dequantize_to=torch.float32)
    if meta.kind != "kv":
        _fail("BAD_TENSOR_SET", "only kv containers export to the legacy KV .npy")
    return export_legacy_npy(npy_path, layers)

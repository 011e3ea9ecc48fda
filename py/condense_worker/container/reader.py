"""Reads containers: the structural header checks, the data hash, NaN/Inf, then tensors via safetensors (mmap).

TypeScript checks headers without touching tensor bytes; the value checks live here and the validator
runs them in the worker before a container is used.
"""
from __future__ import annotations

import hashlib
import mmap
import os

import torch
from safetensors import SafetensorError, safe_open

from . import quant
from .errors import ContainerError
from .finite import count_non_finite
from .header import ContainerHeader, ContainerMeta, read_container_header
from .spec import ContainerLimits, Expectations, ModelShape


def _scan(path, header: ContainerHeader) -> None:
    """One pass over the mmapped data section: its sha256, then NaN/Inf per float tensor (zero-copy views)."""
    try:
        with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as mm:
            data = memoryview(mm)[header.data_offset:]
            try:
                got = hashlib.sha256(data).hexdigest()
                if got != header.meta.data_sha256:
                    raise ContainerError("DATA_MISMATCH", f"data section hashes to {got}, metadata says {header.meta.data_sha256}")
                for e in header.tensors:
                    bad = count_non_finite(data[e.begin:e.end], e.dtype)
                    if bad:
                        raise ContainerError("NON_FINITE", f"tensor {e.name} holds {bad} NaN/Inf values")
            finally:
                data.release()
    except ContainerError:
        raise
    except (OSError, ValueError) as err:  # ValueError: mmap of a file that shrank to nothing
        raise ContainerError("IO", f"cannot read {path}: {err}") from err


def _load(path, header: ContainerHeader, device: str) -> dict[str, torch.Tensor]:
    try:
        with safe_open(os.fspath(path), framework="pt", device=device) as f:
            return {e.name: f.get_tensor(e.name) for e in header.tensors}
    except (OSError, RuntimeError, ValueError, SafetensorError) as err:  # header checked: the file changed under us
        raise ContainerError("IO", f"safetensors could not load {path}: {err}") from err


def check_values(path, header: ContainerHeader | None = None) -> ContainerHeader:
    """The data bytes hash to data_sha256 and no float tensor holds NaN/Inf; reads bytes, loads no tensor."""
    header = header or read_container_header(path)
    if header.file_bytes > header.data_offset:
        _scan(path, header)
    elif header.meta.data_sha256 != hashlib.sha256(b"").hexdigest():
        raise ContainerError("DATA_MISMATCH", "empty data section, metadata hash says otherwise")
    return header


def read_container(path, model: ModelShape | None = None, limits: ContainerLimits | None = None,
                   expect: Expectations | None = None, *, device: str = "cpu",
                   dequantize_to: torch.dtype = torch.bfloat16):
    """Check and load a container.

    Returns (layers, meta) for kind kv, layers being [(key, value)] each [1, kv_heads, T, head_dim] in the
    stored dtype (int8 is dequantised to `dequantize_to`), or (soft_tokens [seq, hidden], meta).
    """
    header = check_values(path, read_container_header(path, model, limits, expect))
    tensors = _load(path, header, device)
    meta: ContainerMeta = header.meta
    if meta.kind == "soft_tokens":
        return tensors["soft_tokens"], meta
    layers = []
    for i in range(header.num_layers):
        k, v = tensors[f"key_{i}"], tensors[f"value_{i}"]
        if meta.dtype == "int8":
            k = quant.dequantize(k, tensors[f"key_{i}.scale"], dequantize_to)
            v = quant.dequantize(v, tensors[f"value_{i}.scale"], dequantize_to)
        layers.append((k, v))
    return layers, meta

"""Writes containers in one streaming pass: header first (with placeholders), tensor bytes, then the data hash.

The header is known before any tensor byte is written (shapes fix every offset), so the file is written
front to back once; only the 64-char data_sha256 placeholder is patched in place at the end. The
signature stays the all-zero placeholder for the orchestrator to patch (Python holds no keys).
"""
from __future__ import annotations

import hashlib
import json
import math
import os
import sys
import tempfile
from dataclasses import dataclass
from typing import Callable, Sequence

import torch

from . import quant
from .finite import count_non_finite
from .errors import ContainerError
from .ss58 import ss58_public_key
from .spec import (
    ALGO_RE, DATA_SHA_PLACEHOLDER, DTYPES, FORMAT_VERSION, HEX64, ITEMSIZE, MAX_INT, SCALE_DTYPE,
    SIGNATURE_PLACEHOLDER, VALUE_DTYPE, canonical_params, context_sha256,
)

TORCH_DTYPE = {"BF16": torch.bfloat16, "F16": torch.float16, "F32": torch.float32, "I8": torch.int8}


@dataclass(frozen=True)
class ContainerInfo:
    path: str
    bytes: int
    header_bytes: int
    kind: str
    dtype: str
    num_layers: int
    kept_tokens: int
    original_tokens: int
    algorithm: str
    context_sha256: str
    data_sha256: str


@dataclass(frozen=True)
class _Planned:
    name: str
    dtype: str
    shape: tuple[int, ...]
    produce: Callable[[], torch.Tensor]  # called once, while streaming


def _bad(msg: str):
    raise ContainerError("BAD_INPUT", msg)


def _meta_strings(meta: dict, kind: str, dtype: str, kept: int) -> dict[str, str]:
    if not isinstance(meta, dict):
        _bad("meta must be a dict")
    known = {"target_model", "original_tokens", "kept_tokens", "algorithm", "params", "context_sha256",
             "context", "miner_hotkey"}
    unknown = sorted(set(meta) - known)
    if unknown:
        _bad(f"unknown meta fields: {', '.join(unknown)}")
    if dtype not in DTYPES:
        _bad(f"dtype {dtype!r} is not one of {', '.join(DTYPES)}")
    model = meta.get("target_model")
    if not isinstance(model, str) or not 1 <= len(model) <= 256 or any(
            ord(c) < 0x20 or ord(c) == 0x7F or 0xD800 <= ord(c) <= 0xDFFF for c in model):
        _bad("target_model must be a 1..256 character string without control characters or lone surrogates")
    orig = meta.get("original_tokens")
    if not isinstance(orig, int) or isinstance(orig, bool) or not 0 <= orig <= MAX_INT:
        _bad("original_tokens must be a non-negative int")
    if "kept_tokens" in meta and meta["kept_tokens"] != kept:
        _bad(f"kept_tokens {meta['kept_tokens']} disagrees with the tensors ({kept})")
    if kept > orig:
        _bad(f"kept tokens {kept} > original_tokens {orig}")
    algo = meta.get("algorithm")
    if not isinstance(algo, str) or not ALGO_RE.match(algo):
        _bad("algorithm must match [a-z0-9_.-]{1,64}")
    try:
        params = canonical_params(meta.get("params", {}))
    except (TypeError, ValueError) as err:
        _bad(f"params must be a JSON-serialisable object: {err}")
    if len(params) > 4096:
        _bad("params longer than 4096 characters as JSON")
    if "context_sha256" in meta:
        csha = meta["context_sha256"]
        if not isinstance(csha, str) or not HEX64.match(csha):
            _bad("context_sha256 must be 64 lowercase hex characters")
    elif isinstance(meta.get("context"), str):
        csha = context_sha256(meta["context"])
    else:
        _bad("give context_sha256 or context")
    hotkey = meta.get("miner_hotkey", "")
    if not isinstance(hotkey, str) or (hotkey and ss58_public_key(hotkey) is None):
        _bad("miner_hotkey must be an ss58 address or empty")
    return {
        "format_version": FORMAT_VERSION, "kind": kind, "target_model": model, "original_tokens": str(orig),
        "kept_tokens": str(kept), "algorithm": algo, "params": params, "context_sha256": csha,
        "data_sha256": DATA_SHA_PLACEHOLDER, "dtype": dtype, "miner_hotkey": hotkey,
        "signature": SIGNATURE_PLACEHOLDER,
    }


def _header_bytes(meta: dict[str, str], plan: Sequence[_Planned]) -> tuple[bytes, int]:
    obj: dict = {"__metadata__": meta}
    pos = 0
    for p in plan:
        size = math.prod(p.shape) * ITEMSIZE[p.dtype]
        obj[p.name] = {"dtype": p.dtype, "shape": list(p.shape), "data_offsets": [pos, pos + size]}
        pos += size
    text = json.dumps(obj, separators=(",", ":"), ensure_ascii=True).encode("ascii")
    text += b" " * (-len(text) % 8)  # pad with spaces so the data section starts 8-aligned
    return text, pos


def _raw_bytes(t: torch.Tensor) -> memoryview:
    return memoryview(t.contiguous().reshape(-1).view(torch.uint8).numpy())


def _stream(path, meta: dict[str, str], plan: Sequence[_Planned], check_finite: bool) -> ContainerInfo:
    if sys.byteorder != "little":  # safetensors data is little-endian; raw tensor bytes are written as-is
        raise ContainerError("BAD_INPUT", "container writing needs a little-endian host")
    header, data_len = _header_bytes(meta, plan)
    prefix = len(header).to_bytes(8, "little")
    sha_at = 8 + header.index(b'"data_sha256":"') + len(b'"data_sha256":"')
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".container-", dir=folder)
    digest = hashlib.sha256()
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(prefix)
            f.write(header)
            for p in plan:
                t = p.produce()
                if tuple(t.shape) != p.shape or t.dtype != TORCH_DTYPE[p.dtype]:
                    raise AssertionError(f"{p.name}: produced {t.dtype}{list(t.shape)}, planned {p.dtype}{list(p.shape)}")
                raw = _raw_bytes(t)
                # checked on the stored bytes: also catches f16 overflow of large values
                if check_finite and count_non_finite(raw, p.dtype):
                    raise ContainerError("NON_FINITE", f"tensor {p.name} holds NaN or Inf")
                digest.update(raw)
                f.write(raw)
            data_sha = digest.hexdigest()
            f.seek(sha_at)
            f.write(data_sha.encode("ascii"))
        os.chmod(tmp, 0o644)  # mkstemp makes 0600; the orchestrator (maybe another user) reads and signs it
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return ContainerInfo(
        path=path, bytes=8 + len(header) + data_len, header_bytes=len(header), kind=meta["kind"],
        dtype=meta["dtype"], num_layers=sum(1 for p in plan if p.name.startswith("key_") and "." not in p.name),
        kept_tokens=int(meta["kept_tokens"]), original_tokens=int(meta["original_tokens"]),
        algorithm=meta["algorithm"], context_sha256=meta["context_sha256"], data_sha256=data_sha,
    )


def _cpu(t: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    return t.detach().to(device="cpu", dtype=dtype)


def write_kv_container(path, layers: Sequence[tuple[torch.Tensor, torch.Tensor]], meta: dict,
                       dtype: str = "bf16", *, check_finite: bool = True) -> ContainerInfo:
    """Write per-layer (key, value) tensors [1, kv_heads, T, head_dim] as a container at `path`.

    dtype: bf16 (default), f16, f32 or int8 (per-channel f32 scales). Replaces `path` atomically.
    """
    if not isinstance(layers, (list, tuple)) or not layers:
        _bad("layers must be a non-empty list of (key, value) tensors")
    shape = None
    for i, pair in enumerate(layers):
        if not isinstance(pair, (list, tuple)) or len(pair) != 2:
            _bad(f"layer {i} is not a (key, value) pair")
        for which, t in zip(("key", "value"), pair):
            if not isinstance(t, torch.Tensor) or not t.is_floating_point():
                _bad(f"layer {i} {which} is not a floating-point tensor")
            s = tuple(t.shape)
            if len(s) != 4 or s[0] != 1 or min(s) < 1:
                _bad(f"layer {i} {which} shape {list(s)} is not [1, kv_heads, T, head_dim]")
            if shape is None:
                shape = s
            elif s != shape:
                _bad(f"layer {i} {which} shape {list(s)} differs from layer 0's {list(shape)}")
    assert shape is not None
    m = _meta_strings(meta, "kv", dtype, shape[2])
    plan: list[_Planned] = []
    if dtype == "int8":
        sshape = (1, shape[1], 1, shape[3])
        scales: dict[str, torch.Tensor] = {}  # small ([1, H, 1, D] each): kept for the quantising pass

        def scale_of(name: str, t: torch.Tensor) -> torch.Tensor:
            scales[name] = quant.channel_scale(t.cpu())
            return scales[name]

        for i, (k, v) in enumerate(layers):  # scales first: f32 data stays 4-aligned
            for name, t in ((f"key_{i}", k), (f"value_{i}", v)):
                plan.append(_Planned(f"{name}.scale", SCALE_DTYPE, sshape, lambda n=name, t=t: scale_of(n, t)))
        for i, (k, v) in enumerate(layers):
            for name, t in ((f"key_{i}", k), (f"value_{i}", v)):
                plan.append(_Planned(name, "I8", shape, lambda n=name, t=t: quant.quantize(t.cpu(), scales.pop(n))))
        # int8 codes cannot hold NaN/Inf, but a non-finite source value makes its channel's scale
        # NaN/Inf (amax propagates NaN), and the scales are written and checked before any code
    else:
        tdt = VALUE_DTYPE[dtype]
        for i, (k, v) in enumerate(layers):
            plan.append(_Planned(f"key_{i}", tdt, shape, lambda t=k: _cpu(t, TORCH_DTYPE[tdt])))
            plan.append(_Planned(f"value_{i}", tdt, shape, lambda t=v: _cpu(t, TORCH_DTYPE[tdt])))
    return _stream(path, m, plan, check_finite)


def write_soft_token_container(path, soft_tokens: torch.Tensor, meta: dict, dtype: str = "bf16", *,
                               check_finite: bool = True) -> ContainerInfo:
    """Write soft-token embeddings [seq_len, hidden_size] as a container (kind soft_tokens; bf16/f16/f32)."""
    if not isinstance(soft_tokens, torch.Tensor) or not soft_tokens.is_floating_point():
        _bad("soft_tokens must be a floating-point tensor")
    if soft_tokens.dim() == 3 and soft_tokens.shape[0] == 1:
        soft_tokens = soft_tokens[0]
    if soft_tokens.dim() != 2 or min(soft_tokens.shape) < 1:
        _bad(f"soft_tokens shape {list(soft_tokens.shape)} is not [seq_len, hidden_size]")
    if dtype == "int8":
        _bad("soft_tokens containers are bf16, f16 or f32")
    m = _meta_strings(meta, "soft_tokens", dtype, soft_tokens.shape[0])
    tdt = VALUE_DTYPE[dtype]
    plan = [_Planned("soft_tokens", tdt, tuple(soft_tokens.shape), lambda: _cpu(soft_tokens, TORCH_DTYPE[tdt]))]
    return _stream(path, m, plan, check_finite)

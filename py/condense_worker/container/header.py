"""Structural checks of a container header, without reading tensor bytes (mirror of ts/container/header.ts).

The checks run in a fixed order so both languages give the same code for the same malformed file.
"""
from __future__ import annotations

import math
import os
import struct
from dataclasses import dataclass, field

from .errors import ContainerError
from .ss58 import ss58_public_key
from .strict_json import StrictJsonError, parse_strict_json
from .spec import (
    ALGO_RE, DTYPES, HEX128, HEX64, INT_RE, ITEMSIZE, KINDS, LAYER_NAME, MAX_INT, META_KEYS, SCALE_DTYPE,
    SIGNATURE_PLACEHOLDER, VALUE_DTYPE, ContainerLimits, Expectations, FORMAT_VERSION, ModelShape,
)

MAX_SAFE = 2**53 - 1  # same bound as JavaScript numbers, so both readers accept the same files


@dataclass(frozen=True)
class TensorEntry:
    name: str
    dtype: str
    shape: tuple[int, ...]
    begin: int
    end: int


@dataclass(frozen=True)
class ContainerMeta:
    format_version: str
    kind: str
    target_model: str
    original_tokens: int
    kept_tokens: int
    algorithm: str
    params: dict
    context_sha256: str
    data_sha256: str
    dtype: str
    miner_hotkey: str
    signature: str
    raw: dict = field(repr=False)  # the string map exactly as stored (what gets signed)

    @property
    def signed(self) -> bool:
        return self.signature != SIGNATURE_PLACEHOLDER


@dataclass(frozen=True)
class ContainerHeader:
    file_bytes: int
    header_bytes: int
    data_offset: int
    meta: ContainerMeta
    tensors: tuple[TensorEntry, ...]  # in data order
    num_layers: int
    signature_offset: int
    data_sha256_offset: int


def _fail(code: str, msg: str):
    raise ContainerError(code, msg)


def _show(s: str) -> str:
    """A hostile value quoted in a message, cut short so an error never carries a 250 KB string."""
    return repr(s[:64] + "..." if len(s) > 64 else s)


def _is_int(x) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


def _locate(header: bytes, key: str, width: int, value: str) -> int:
    """Byte offset (within the header JSON) of a fixed-width metadata value, which must be written compact."""
    pat = f'"{key}":"'.encode()
    at = header.find(pat)
    if at < 0 or header.find(pat, at + 1) >= 0:
        _fail("BAD_METADATA", f"{key} must appear exactly once, written as \"{key}\":\"<{width} hex>\"")
    start = at + len(pat)
    if header[start:start + width].decode("ascii", "replace") != value or header[start + width:start + width + 1] != b'"':
        _fail("BAD_METADATA", f"{key} is not written compact as \"{key}\":\"<{width} hex>\"")
    return start


def _parse_meta(m: dict, limits: ContainerLimits) -> ContainerMeta:
    if not isinstance(m, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in m.items()):
        _fail("BAD_METADATA", "__metadata__ must be an object of string values")
    if "format_version" not in m:
        _fail("BAD_METADATA", "format_version missing")
    if m["format_version"] != FORMAT_VERSION:
        _fail("UNSUPPORTED_VERSION", f"format_version {_show(m['format_version'])}; this reader reads {FORMAT_VERSION!r}")
    missing = [k for k in META_KEYS if k not in m]
    extra = sorted(set(m) - set(META_KEYS))
    if missing:
        _fail("BAD_METADATA", f"missing metadata fields: {', '.join(missing)}")
    if extra:
        _fail("BAD_METADATA", f"unknown metadata fields: {', '.join(_show(k) for k in extra[:8])}")
    for k, v in m.items():
        if any(ord(c) < 0x20 or ord(c) == 0x7F for c in v):
            _fail("BAD_METADATA", f"{k} contains a control character")
    if m["kind"] not in KINDS or m["kind"] not in limits.allowed_kinds:
        _fail("BAD_METADATA", f"kind {_show(m['kind'])} is not one of {', '.join(limits.allowed_kinds)}")
    if not 1 <= len(m["target_model"]) <= 256:
        _fail("BAD_METADATA", "target_model must be 1..256 characters")
    for k in ("original_tokens", "kept_tokens"):
        if not INT_RE.fullmatch(m[k]) or int(m[k]) > MAX_INT:
            _fail("BAD_METADATA", f"{k} {_show(m[k])} is not a decimal integer in [0, 2^31)")
    if not ALGO_RE.fullmatch(m["algorithm"]):
        _fail("BAD_METADATA", f"algorithm {_show(m['algorithm'])} must match [a-z0-9_.-]{{1,64}}")
    if len(m["params"]) > 4096:
        _fail("BAD_METADATA", "params longer than 4096 characters")
    try:
        params = parse_strict_json(m["params"], "params")
    except StrictJsonError as err:
        _fail("BAD_METADATA", f"params is not strict JSON: {err}")
    if not isinstance(params, dict):
        _fail("BAD_METADATA", "params must be a JSON object")
    for k in ("context_sha256", "data_sha256"):
        if not HEX64.fullmatch(m[k]):
            _fail("BAD_METADATA", f"{k} must be 64 lowercase hex characters")
    if m["dtype"] not in DTYPES:
        _fail("BAD_METADATA", f"dtype {_show(m['dtype'])} is not one of {', '.join(DTYPES)}")
    if m["miner_hotkey"] and ss58_public_key(m["miner_hotkey"]) is None:
        _fail("BAD_METADATA", "miner_hotkey is not an ss58 address")
    if not HEX128.fullmatch(m["signature"]):
        _fail("BAD_METADATA", "signature must be 128 lowercase hex characters")
    if m["signature"] != SIGNATURE_PLACEHOLDER and not m["miner_hotkey"]:
        _fail("BAD_METADATA", "a signature without a miner_hotkey")
    return ContainerMeta(
        format_version=m["format_version"], kind=m["kind"], target_model=m["target_model"],
        original_tokens=int(m["original_tokens"]), kept_tokens=int(m["kept_tokens"]), algorithm=m["algorithm"],
        params=params, context_sha256=m["context_sha256"], data_sha256=m["data_sha256"], dtype=m["dtype"],
        miner_hotkey=m["miner_hotkey"], signature=m["signature"], raw=dict(m),
    )


def _parse_entry(name: str, e) -> tuple[str, tuple[int, ...], int, int]:
    if not isinstance(e, dict) or set(e) != {"dtype", "shape", "data_offsets"}:
        _fail("BAD_HEADER", f"tensor {_show(name)} must have exactly dtype, shape, data_offsets")
    dt, shape, offs = e["dtype"], e["shape"], e["data_offsets"]
    if not isinstance(dt, str):
        _fail("BAD_HEADER", f"tensor {_show(name)} dtype is not a string")
    if not isinstance(shape, list) or len(shape) > 8 or not all(_is_int(d) and 0 <= d <= MAX_SAFE for d in shape):
        _fail("BAD_HEADER", f"tensor {_show(name)} shape must be a list of at most 8 non-negative integers")
    if not isinstance(offs, list) or len(offs) != 2 or not all(_is_int(o) and 0 <= o <= MAX_SAFE for o in offs):
        _fail("BAD_HEADER", f"tensor {_show(name)} data_offsets must be two non-negative integers")
    return dt, tuple(shape), offs[0], offs[1]


def _check_tensor_set(meta: ContainerMeta, names: set[str]) -> int:
    if meta.kind == "soft_tokens":
        if names != {"soft_tokens"}:
            _fail("BAD_TENSOR_SET", f"a soft_tokens container holds exactly one tensor 'soft_tokens', got {[_show(n) for n in sorted(names)[:8]]}")
        return 0
    bad = sorted(n for n in names if not LAYER_NAME.fullmatch(n))
    if bad:
        _fail("BAD_TENSOR_SET", f"unexpected tensor names: {', '.join(_show(n) for n in bad[:8])}")
    layers = sum(1 for n in names if n.startswith("key_") and not n.endswith(".scale"))
    want = {f"{p}_{i}" for i in range(layers) for p in ("key", "value")}
    if meta.dtype == "int8":
        want |= {f"{n}.scale" for n in want}
    if layers == 0 or names != want:
        missing = sorted(want - names)[:8]
        extra = sorted(names - want)[:8]
        _fail("BAD_TENSOR_SET", f"kv tensors must be key_i/value_i{' (+ .scale)' if meta.dtype == 'int8' else ''} "
              f"for i < {layers}; missing {missing}, unexpected {extra}")
    return layers


def _check_shapes(meta: ContainerMeta, ents: dict[str, TensorEntry], layers: int, model: ModelShape | None):
    want_dt = VALUE_DTYPE[meta.dtype]
    for e in ents.values():
        need = SCALE_DTYPE if e.name.endswith(".scale") else want_dt
        if e.dtype != need:
            _fail("BAD_DTYPE", f"tensor {e.name} is {e.dtype}; a {meta.dtype} container stores {need}")
    if meta.kind == "soft_tokens":
        s = ents["soft_tokens"].shape
        if len(s) != 2 or s[0] != meta.kept_tokens or s[1] < 1:
            _fail("BAD_SHAPE", f"soft_tokens shape {list(s)} is not [kept_tokens={meta.kept_tokens}, hidden]")
        if model is not None and model.hidden_size is not None and s[1] != model.hidden_size:
            _fail("BAD_SHAPE", f"soft_tokens hidden size {s[1]} != model hidden_size {model.hidden_size}")
        return
    ref = ents["key_0"].shape
    if len(ref) != 4 or ref[0] != 1 or ref[1] < 1 or ref[3] < 1:
        _fail("BAD_SHAPE", f"key_0 shape {list(ref)} is not [1, kv_heads, T, head_dim]")
    _, h, t, d = ref
    for e in ents.values():
        want = (1, h, 1, d) if e.name.endswith(".scale") else (1, h, t, d)
        if e.shape != want:
            _fail("BAD_SHAPE", f"tensor {e.name} shape {list(e.shape)} != {list(want)}")
    if t != meta.kept_tokens:
        _fail("BAD_SHAPE", f"tensors hold {t} tokens but kept_tokens says {meta.kept_tokens}")
    if model is not None:
        got = (layers, h, d)
        exp = (model.num_layers, model.kv_heads, model.head_dim)
        if got != exp:
            _fail("BAD_SHAPE", f"(layers, kv_heads, head_dim) = {got} but the model has {exp}")


def parse_header(head: bytes, file_bytes: int, model: ModelShape | None = None,
                 limits: ContainerLimits | None = None, expect: Expectations | None = None) -> ContainerHeader:
    """Check a header given the file's first 8 + N bytes (or more) and its total size."""
    limits = limits or ContainerLimits()
    if file_bytes > limits.max_file_bytes:
        _fail("FILE_TOO_LARGE", f"{file_bytes} bytes > cap {limits.max_file_bytes}")
    if file_bytes < 8 or len(head) < 8:
        _fail("TRUNCATED", f"{file_bytes} bytes: no 8-byte header length")
    (n,) = struct.unpack("<Q", head[:8])
    if n > limits.max_header_bytes:
        _fail("HEADER_TOO_LARGE", f"header length {n} > cap {limits.max_header_bytes}")
    if 8 + n > file_bytes or len(head) < 8 + n:
        _fail("TRUNCATED", f"header length {n} runs past the end of a {file_bytes}-byte file")
    raw = head[8:8 + n]
    if raw[:1] != b"{":  # the first byte: a byte-order mark is refused, not skipped
        _fail("BAD_HEADER", "header does not start with '{'")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        _fail("BAD_HEADER", "header is not UTF-8")
    try:
        obj = parse_strict_json(text, "header")
    except StrictJsonError as err:
        _fail("BAD_HEADER", f"header is not strict JSON: {err}")
    if not isinstance(obj, dict):
        _fail("BAD_HEADER", "header is not a JSON object")
    if "__metadata__" not in obj:
        _fail("BAD_METADATA", "__metadata__ missing")
    names = [k for k in obj if k != "__metadata__"]
    if len(names) > limits.max_tensors:
        _fail("TOO_MANY_TENSORS", f"{len(names)} tensors > cap {limits.max_tensors}")
    meta = _parse_meta(obj["__metadata__"], limits)
    if meta.dtype not in limits.allowed_dtypes:
        _fail("BAD_DTYPE", f"container dtype {meta.dtype} not allowed here ({', '.join(limits.allowed_dtypes)})")
    if meta.kind == "soft_tokens" and meta.dtype == "int8":
        _fail("BAD_DTYPE", "soft_tokens containers are bf16, f16 or f32")

    parsed = [(name, *_parse_entry(name, obj[name])) for name in names]
    for name, dt, _, _, _ in parsed:
        if dt not in ITEMSIZE:
            _fail("BAD_DTYPE", f"tensor {_show(name)} has dtype {_show(dt)}; allowed: {', '.join(ITEMSIZE)}")
    data_len = file_bytes - 8 - n
    ents: list[TensorEntry] = []
    for name, dt, shape, b, e in parsed:
        if b > e:
            _fail("BAD_OFFSETS", f"tensor {_show(name)} offsets [{b}, {e}] run backwards")
        size = math.prod(shape) * ITEMSIZE[dt]
        if e - b != size:
            _fail("BAD_OFFSETS", f"tensor {_show(name)} spans {e - b} bytes but {dt}{list(shape)} needs {size}")
        ents.append(TensorEntry(name, dt, shape, b, e))
    ents.sort(key=lambda x: (x.begin, x.end))
    pos = 0
    for x in ents:
        if x.begin != pos:
            what = "gap" if x.begin > pos else "overlap"
            _fail("BAD_OFFSETS", f"{what} before tensor {x.name}: it starts at {x.begin}, previous data ends at {pos}")
        pos = x.end
    if pos > data_len:
        _fail("TRUNCATED", f"tensors need {pos} data bytes, the file has {data_len}")
    if pos < data_len:
        _fail("BAD_OFFSETS", f"{data_len - pos} bytes after the last tensor")

    layers = _check_tensor_set(meta, {x.name for x in ents})
    _check_shapes(meta, {x.name: x for x in ents}, layers, model)

    if meta.kept_tokens < limits.min_kept_tokens or meta.kept_tokens > limits.max_kept_tokens:
        _fail("TOKEN_BOUNDS", f"kept_tokens {meta.kept_tokens} outside [{limits.min_kept_tokens}, {limits.max_kept_tokens}]")
    if meta.kept_tokens > meta.original_tokens:
        _fail("TOKEN_BOUNDS", f"kept_tokens {meta.kept_tokens} > original_tokens {meta.original_tokens}")

    sig_at = _locate(raw, "signature", 128, meta.signature)
    data_at = _locate(raw, "data_sha256", 64, meta.data_sha256)

    expect = expect or Expectations()
    if expect.target_model is not None and meta.target_model != expect.target_model:
        _fail("MODEL_MISMATCH", f"container is for {_show(meta.target_model)}, expected {_show(expect.target_model)}")
    if expect.context_sha256 is not None and meta.context_sha256 != expect.context_sha256:
        _fail("BINDING_MISMATCH", f"context_sha256 {meta.context_sha256} != challenge {expect.context_sha256}")
    if expect.miner_hotkey is not None and meta.miner_hotkey != expect.miner_hotkey:
        _fail("HOTKEY_MISMATCH", f"miner_hotkey {_show(meta.miner_hotkey)} != expected {_show(expect.miner_hotkey)}")

    return ContainerHeader(
        file_bytes=file_bytes, header_bytes=n, data_offset=8 + n, meta=meta, tensors=tuple(ents),
        num_layers=layers, signature_offset=8 + sig_at, data_sha256_offset=8 + data_at,
    )


def read_container_header(path, model: ModelShape | None = None, limits: ContainerLimits | None = None,
                          expect: Expectations | None = None) -> ContainerHeader:
    """Open `path` and check its header; tensor bytes are not read."""
    limits = limits or ContainerLimits()
    try:
        with open(path, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            if size > limits.max_file_bytes:
                _fail("FILE_TOO_LARGE", f"{size} bytes > cap {limits.max_file_bytes}")
            prefix = f.read(8)
            if len(prefix) == 8:
                (n,) = struct.unpack("<Q", prefix)
                if n <= limits.max_header_bytes:
                    prefix += f.read(n)
    except OSError as err:
        raise ContainerError("IO", f"cannot read {path}: {err}") from err
    return parse_header(prefix, size, model, limits, expect)

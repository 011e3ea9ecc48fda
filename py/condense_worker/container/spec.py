"""Constants and rules of the container format (proto/container/README.md), shared by writer and readers."""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass

FORMAT_VERSION = "1"
SIGNING_DOMAIN = "condense-container-signature-v1"
# Metadata keys in the order they are written and signed (signature itself is not signed).
META_KEYS = (
    "format_version", "kind", "target_model", "original_tokens", "kept_tokens", "algorithm", "params",
    "context_sha256", "data_sha256", "dtype", "miner_hotkey", "signature",
)
SIGNED_KEYS = META_KEYS[:-1]
SIGNATURE_PLACEHOLDER = "0" * 128
DATA_SHA_PLACEHOLDER = "0" * 64

KINDS = ("kv", "soft_tokens")
DTYPES = ("bf16", "f16", "f32", "int8")
# safetensors dtype string and item size of the value tensors for each metadata dtype
VALUE_DTYPE = {"bf16": "BF16", "f16": "F16", "f32": "F32", "int8": "I8"}
ITEMSIZE = {"BF16": 2, "F16": 2, "F32": 4, "I8": 1}
SCALE_DTYPE = "F32"
MAX_INT = 2**31 - 1

HEX64 = re.compile(r"^[0-9a-f]{64}$")
HEX128 = re.compile(r"^[0-9a-f]{128}$")
INT_RE = re.compile(r"^(0|[1-9][0-9]{0,9})$")
ALGO_RE = re.compile(r"^[a-z0-9_.\-]{1,64}$")
LAYER_NAME = re.compile(r"^(key|value)_(0|[1-9][0-9]{0,4})(\.scale)?$")


@dataclass(frozen=True)
class ModelShape:
    num_layers: int
    kv_heads: int
    head_dim: int
    hidden_size: int | None = None


@dataclass(frozen=True)
class ContainerLimits:
    max_header_bytes: int = 256 * 1024
    max_tensors: int = 1024
    max_file_bytes: int = 1024 * 1024 * 1024
    min_kept_tokens: int = 1
    max_kept_tokens: int = 1 << 20
    allowed_dtypes: tuple[str, ...] = DTYPES
    allowed_kinds: tuple[str, ...] = KINDS

    def __post_init__(self):
        # a None or malformed bound must not switch a check off (mirror of resolveLimits in TypeScript)
        for name in ("max_header_bytes", "max_tensors", "max_file_bytes", "min_kept_tokens", "max_kept_tokens"):
            v = getattr(self, name)
            if not isinstance(v, int) or isinstance(v, bool) or v < 0:
                raise ValueError(f"container limit {name} must be a non-negative integer, got {v!r}")
        for name, known in (("allowed_dtypes", DTYPES), ("allowed_kinds", KINDS)):
            v = getattr(self, name)
            if not isinstance(v, (tuple, list)) or not all(x in known for x in v):
                raise ValueError(f"container limit {name} must be drawn from {', '.join(known)}, got {v!r}")
        if self.min_kept_tokens > self.max_kept_tokens:
            raise ValueError(f"min_kept_tokens {self.min_kept_tokens} > max_kept_tokens {self.max_kept_tokens}")


@dataclass(frozen=True)
class Expectations:
    target_model: str | None = None
    context_sha256: str | None = None
    miner_hotkey: str | None = None


def context_sha256(context: str) -> str:
    """The binding hash: sha256 hex of the context's UTF-8 bytes, exactly as sent in the challenge."""
    return hashlib.sha256(context.encode("utf-8")).hexdigest()


def canonical_params(params: dict | str) -> str:
    """params as compact JSON with sorted keys (a given string is kept verbatim after validation)."""
    from .strict_json import parse_strict_json  # the reader's rule, so the writer never emits what it refuses

    text = params if isinstance(params, str) else json.dumps(
        params, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False)
    if not isinstance(parse_strict_json(text, "params"), dict):
        raise ValueError("params must be a JSON object")
    return text


def tensor_layout(entries) -> str:
    """One line per tensor, in data order: `name dtype d0,d1,.. begin end`. Signed through its sha256."""
    return "".join(
        f"{e.name} {e.dtype} {','.join(str(d) for d in e.shape)} {e.begin} {e.end}\n" for e in entries
    )


def signing_message(meta: dict[str, str], entries) -> bytes:
    """The exact bytes the miner signs (sr25519, context "substrate"): see README 'Signature'."""
    lines = [SIGNING_DOMAIN]
    lines += [f"{k}={meta[k]}" for k in SIGNED_KEYS]
    lines.append("tensors_sha256=" + hashlib.sha256(tensor_layout(entries).encode()).hexdigest())
    return ("\n".join(lines) + "\n").encode("utf-8")

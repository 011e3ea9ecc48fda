"""Public data types of the compression library: parameters in, result out, typed errors."""
from __future__ import annotations

from dataclasses import dataclass, field, asdict
from typing import Any, Literal

import torch

from ..errors import InvalidArgument, NotFound, WorkerError
from ..errors import UnsupportedAlgorithm as _UnsupportedAlgorithm

# Algorithms `compress` accepts. "kv" algorithms return per-layer key/value tensors with the same kept
# count in every layer and head (a rectangular cache that serialises as one plain tensor per layer).
KV_SCORER_ALGORITHMS = ("knorm", "snapkv", "expected_attention", "tova", "streaming_llm")
# KVzip's reconstruction scores, selected per head, shared, structure-closed (structure.py) or chunked by
# kvpress's ChunkKV / EntropyGatedChunkKV (chunked.py).
KVZIP_ALGORITHMS = ("kvzip", "kvzip_shared", "kvzip_span", "kvzip_shared_span", "kvzip_sentence",
                    "kvzip_chunkkv", "kvzip_entropy_chunkkv")
# KVzap: kvpress's KVzapPress with a locally fitted surrogate (`params.checkpoint`), plain or structure-closed.
KVZAP_ALGORITHMS = ("kvzap", "kvzap_span")
# Algorithms whose prefill must keep the attention inputs.
CAPTURE_ALGORITHMS = (*KV_SCORER_ALGORITHMS, *KVZAP_ALGORITHMS)
ALGORITHMS = ("full", *KV_SCORER_ALGORITHMS, *KVZIP_ALGORITHMS, *KVZAP_ALGORITHMS, "soft_token",
              "activation_beacon")


class CompressError(WorkerError):
    """Base of typed compression failures; each subclass is also the worker's typed error for its code."""


class InvalidCompressArgument(CompressError, InvalidArgument):
    pass


class UnsupportedAlgorithm(CompressError, _UnsupportedAlgorithm):
    pass


class CheckpointNotFound(CompressError, NotFound):
    pass


class UnsupportedCheckpoint(CompressError, InvalidArgument):
    """The checkpoint exists but is not what the algorithm needs (e.g. not an Activation Beacon model)."""


@dataclass
class CompressParams:
    """Mirror of proto `CompressParams`. Zero means unset, as on the wire."""

    ratio: float = 0.0            # fraction of tokens REMOVED (kvpress convention)
    target_tokens: int = 0        # kept tokens; wins over ratio when > 0
    min_tokens: int = 0           # tier bounds on the kept count; 0 = unbounded
    max_tokens: int = 0
    sink_tokens: int = 4          # streaming_llm / kvzip / expected_attention: always-kept first tokens
    checkpoint: str = ""          # soft_token / activation_beacon / kvzap: local directory
    num_soft_tokens: int = 0      # soft_token: 0 = the checkpoint's own N
    seed: int = 0                 # soft_token random-init condenser
    window_size: int = 64         # snapkv observation window (queries at the end of the context)
    kvzip_chunk_size: int = 2048  # kvzip: context tokens reconstructed per replay pass

    @classmethod
    def from_any(cls, params: "CompressParams | dict[str, Any] | None") -> "CompressParams":
        if params is None:
            return cls()
        if isinstance(params, cls):
            return params
        if isinstance(params, dict):
            unknown = set(params) - set(cls.__dataclass_fields__)
            if unknown:
                raise InvalidCompressArgument(f"unknown compress parameter(s): {sorted(unknown)}")
            return cls(**params)
        raise InvalidCompressArgument(f"params must be CompressParams or dict, got {type(params).__name__}")

    def validate(self) -> None:
        if not (0.0 <= self.ratio < 1.0):
            raise InvalidCompressArgument(f"ratio must be in [0, 1) (fraction removed), got {self.ratio}")
        for name in ("target_tokens", "min_tokens", "max_tokens", "sink_tokens", "num_soft_tokens",
                     "window_size", "kvzip_chunk_size", "seed"):
            v = getattr(self, name)
            if not isinstance(v, int) or isinstance(v, bool) or v < 0:
                raise InvalidCompressArgument(f"{name} must be a non-negative integer, got {v!r}")
        if self.max_tokens and self.min_tokens > self.max_tokens:
            raise InvalidCompressArgument(
                f"min_tokens ({self.min_tokens}) is greater than max_tokens ({self.max_tokens})")
        if self.window_size < 1 or self.kvzip_chunk_size < 1:
            raise InvalidCompressArgument("window_size and kvzip_chunk_size must be >= 1")

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class CompressResult:
    """What `compress` returns. For format "kv": `keys[i]`/`values[i]` are `[1, kv_heads, kept, head_dim]`
    with RoPE already applied at the ORIGINAL positions (decode continues at `original_tokens`).
    For format "soft_tokens": `soft_embeddings` is `[num_soft_tokens, decoder_hidden]`; `keys`/`values`
    may also hold the decoder's KV cache of those soft tokens (positions 0..N-1)."""

    algorithm: str
    format: Literal["kv", "soft_tokens"]
    original_tokens: int
    kept_tokens: int
    keys: list[torch.Tensor] = field(default_factory=list)
    values: list[torch.Tensor] = field(default_factory=list)
    soft_embeddings: torch.Tensor | None = None
    params: dict[str, Any] = field(default_factory=dict)   # the parameters actually used
    kept_positions: torch.Tensor | None = None             # [L, H, kept] original positions (kv presses)

    @property
    def layers(self) -> list[tuple[torch.Tensor, torch.Tensor]]:
        return list(zip(self.keys, self.values))

    @property
    def next_position(self) -> int:
        """Position id of the first token appended after this cache: the original token count for pruned
        caches (their keys keep their original rotations); soft-token and beacon caches say otherwise in
        params["next_position"] (their positions run 0..kept-1)."""
        return int(self.params.get("next_position", self.original_tokens))

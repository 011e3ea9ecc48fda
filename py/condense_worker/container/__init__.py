"""The KV container: a safetensors file of per-layer key/value tensors (or soft tokens) plus signed metadata.

Layout spec: proto/container/README.md; guide: docs/container.md. This module's public API was written
first and is what the compression and evaluation code calls:

    write_kv_container(path, layers, meta, dtype="bf16") -> ContainerInfo
    write_soft_token_container(path, soft_tokens, meta, dtype="bf16") -> ContainerInfo
    read_container(path, model=None, limits=None, expect=None) -> (layers | soft_tokens, ContainerMeta)
    read_container_header(path, model=None, limits=None, expect=None) -> ContainerHeader  (no tensor bytes)
    check_values(path)  -> ContainerHeader  (data hash + NaN/Inf on the raw bytes; loads no tensor)
    container_info_proto(info) -> worker_pb2.ContainerInfo; container_dtype(CompressRequest.dtype) -> "bf16"...

`layers` is a list of (key, value) torch tensors shaped [1, kv_heads, T, head_dim]; `meta` is a dict with
target_model, original_tokens, algorithm, params (dict), context_sha256 (or context: str), miner_hotkey
("" when unknown). Python never holds keys: the writer leaves the signature as the all-zero placeholder
and the TypeScript orchestrator patches it in place (ts/container signContainer). Legacy subnet formats:
import/export of the `.npy` float32 [L, 2, 1, H, T, D] KV cache and of soft-token `.npy` [seq, hidden].
Every failure raises ContainerError with a stable `code` shared with the TypeScript reader.
"""
from .errors import ContainerError
from .spec import (
    FORMAT_VERSION,
    ContainerLimits,
    ModelShape,
    Expectations,
    context_sha256,
    signing_message,
)
from .header import ContainerHeader, ContainerMeta, TensorEntry, parse_header, read_container_header
from .writer import ContainerInfo, write_kv_container, write_soft_token_container
from .reader import check_values, read_container
from .legacy import (
    container_to_legacy_npy,
    export_legacy_npy,
    export_soft_tokens_npy,
    import_legacy_npy,
    import_soft_tokens_npy,
    legacy_npy_to_container,
    read_npy_header,
)
from .proto import container_dtype, container_info_proto

__all__ = [
    "ContainerError", "FORMAT_VERSION", "ContainerLimits", "ModelShape", "Expectations", "context_sha256",
    "signing_message", "ContainerHeader", "ContainerMeta", "TensorEntry", "parse_header",
    "read_container_header", "ContainerInfo", "write_kv_container", "write_soft_token_container",
    "check_values", "read_container", "container_to_legacy_npy", "export_legacy_npy",
    "export_soft_tokens_npy", "import_legacy_npy", "import_soft_tokens_npy", "legacy_npy_to_container",
    "read_npy_header", "container_dtype", "container_info_proto",
]

"""Writes the golden container files and their manifest (run through proto/container/generate.sh).

Valid files come from the real writer with fixed tensors; malformed ones are valid files edited byte by
byte, each named with the error both readers must give. sign_golden.ts then adds the signed files.
"""
from __future__ import annotations

import hashlib
import json
import math
import pickle
import shutil
import struct
import sys
from pathlib import Path

import numpy as np
import torch

from condense_worker.container import (
    export_legacy_npy, export_soft_tokens_npy, read_container_header, write_kv_container, write_soft_token_container,
)

OUT = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).parent / "golden")
MODEL = {"num_layers": 2, "kv_heads": 2, "head_dim": 4, "hidden_size": 8}
T, ORIGINAL = 3, 7
CONTEXT = "The golden context: alpha=1, beta=2.\nIt binds the container to its challenge."
ALICE = "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY"  # //Alice, the well-known dev key


def pattern(*shape: int, salt: int) -> torch.Tensor:
    """Small exact values (multiples of 1/4 in [-2, 2]): identical in f32, f16 and bf16."""
    n = math.prod(shape)
    idx = torch.arange(n, dtype=torch.int64)
    return (((idx * 7 + salt * 13) % 17) - 8).to(torch.float32).div(4).reshape(shape)


def kv_layers() -> list[tuple[torch.Tensor, torch.Tensor]]:
    s = (1, MODEL["kv_heads"], T, MODEL["head_dim"])
    return [(pattern(*s, salt=2 * i), pattern(*s, salt=2 * i + 1)) for i in range(MODEL["num_layers"])]


def meta(**over) -> dict:
    m = {"target_model": "condense/golden-tiny", "original_tokens": ORIGINAL, "algorithm": "knorm",
         "params": {"ratio": 0.5, "seed": 0}, "context": CONTEXT, "miner_hotkey": ALICE}
    m.update(over)
    return m


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def split(path: Path) -> tuple[dict, bytes]:
    raw = path.read_bytes()
    (n,) = struct.unpack("<Q", raw[:8])
    return json.loads(raw[8:8 + n]), raw[8 + n:]


def craft(path: Path, header: dict, data: bytes, pad: bool = True) -> None:
    text = json.dumps(header, separators=(",", ":")).encode()
    if pad:
        text += b" " * (-len(text) % 8)
    path.write_bytes(struct.pack("<Q", len(text)) + text + data)


def describe(path: Path, kind: str) -> dict:
    h = read_container_header(path)
    header, data = split(path)
    return {
        "file": path.name, "kind": kind, "dtype": h.meta.dtype, "bytes": h.file_bytes, "header_bytes": h.header_bytes,
        "file_sha256": sha(path), "signed": h.meta.signed, "metadata": h.meta.raw,
        "tensors": [{"name": e.name, "dtype": e.dtype, "shape": list(e.shape), "data_offsets": [e.begin, e.end],
                     "sha256": hashlib.sha256(data[e.begin:e.end]).hexdigest()} for e in h.tensors],
    }


def main() -> None:
    if OUT.exists() and any(OUT.iterdir()):
        if not (OUT / "manifest.json").exists():  # never wipe a folder this script did not make
            sys.exit(f"{OUT} is not empty and holds no manifest.json; refusing to replace it")
        shutil.rmtree(OUT)
    OUT.mkdir(parents=True, exist_ok=True)
    bad = OUT / "malformed"
    bad.mkdir()
    valid, malformed = [], []

    layers = kv_layers()
    for dt in ("bf16", "f16", "f32", "int8"):
        p = OUT / f"kv_{dt}.safetensors"
        write_kv_container(p, layers, meta(), dt)
        valid.append(describe(p, "kv"))
    soft = pattern(T, MODEL["hidden_size"], salt=9)
    p = OUT / "soft_tokens_bf16.safetensors"
    write_soft_token_container(p, soft, meta(algorithm="soft_token", params={"num_soft_tokens": T}), "bf16")
    valid.append(describe(p, "soft_tokens"))
    p = OUT / "kv_bf16_anonymous.safetensors"
    write_kv_container(p, layers, meta(miner_hotkey=""), "bf16")
    valid.append(describe(p, "kv"))

    legacy = OUT / "legacy_kv.npy"
    export_legacy_npy(legacy, layers)
    soft_npy = OUT / "soft_tokens.npy"
    export_soft_tokens_npy(soft_npy, soft)
    legacy_entries = [
        {"file": legacy.name, "kind": "kv", "shape": [MODEL["num_layers"], 2, 1, MODEL["kv_heads"], T, MODEL["head_dim"]],
         "bytes": legacy.stat().st_size, "file_sha256": sha(legacy), "same_values_as": "kv_f32.safetensors"},
        {"file": soft_npy.name, "kind": "soft_tokens", "shape": [T, MODEL["hidden_size"]],
         "bytes": soft_npy.stat().st_size, "file_sha256": sha(soft_npy), "same_values_as": "soft_tokens_bf16.safetensors"},
    ]

    base = OUT / "kv_bf16.safetensors"
    raw = base.read_bytes()
    hdr, data = split(base)
    (n,) = struct.unpack("<Q", raw[:8])

    def add(name: str, ts: str, py: str, why: str) -> None:
        malformed.append({"file": f"malformed/{name}", "ts": ts, "py": py, "why": why})

    (bad / "truncated_data.safetensors").write_bytes(raw[:-5])
    add("truncated_data.safetensors", "TRUNCATED", "TRUNCATED", "last 5 data bytes cut off")
    (bad / "truncated_header.safetensors").write_bytes(raw[:8 + n // 2])
    add("truncated_header.safetensors", "TRUNCATED", "TRUNCATED", "cut inside the JSON header")
    (bad / "truncated_prefix.safetensors").write_bytes(raw[:5])
    add("truncated_prefix.safetensors", "TRUNCATED", "TRUNCATED", "shorter than the 8-byte length prefix")
    (bad / "header_too_large.safetensors").write_bytes(struct.pack("<Q", 1 << 40) + raw[8:])
    add("header_too_large.safetensors", "HEADER_TOO_LARGE", "HEADER_TOO_LARGE", "length prefix claims 1 TiB")
    (bad / "not_json.safetensors").write_bytes(struct.pack("<Q", 8) + b"{nojson}" + data)
    add("not_json.safetensors", "BAD_HEADER", "BAD_HEADER", "header is not JSON")

    def edited(name: str, ts: str, py: str, why: str, edit, new_data: bytes | None = None) -> None:
        h = json.loads(json.dumps(hdr))
        edit(h)
        craft(bad / name, h, data if new_data is None else new_data)
        add(name, ts, py, why)

    def lie_size(h):  # value_0 claims 2 more bytes than its shape needs; later tensors shift
        for k, v in h.items():
            if k != "__metadata__" and v["data_offsets"][0] >= hdr["value_0"]["data_offsets"][1]:
                v["data_offsets"] = [v["data_offsets"][0] + 2, v["data_offsets"][1] + 2]
        h["value_0"]["data_offsets"][1] += 2
    edited("size_lie.safetensors", "BAD_OFFSETS", "BAD_OFFSETS", "value_0 spans 2 bytes more than bf16[1,2,3,4]",
           lie_size, data + b"\0\0")

    def gap(h):
        for k, v in h.items():
            if k != "__metadata__" and v["data_offsets"][0] >= hdr["value_0"]["data_offsets"][0]:
                v["data_offsets"] = [v["data_offsets"][0] + 2, v["data_offsets"][1] + 2]
    edited("gap.safetensors", "BAD_OFFSETS", "BAD_OFFSETS", "2 unused bytes between key_0 and value_0", gap, data + b"\0\0")

    def overlap(h):
        for k, v in h.items():
            if k != "__metadata__" and v["data_offsets"][0] >= hdr["value_0"]["data_offsets"][0]:
                v["data_offsets"] = [v["data_offsets"][0] - 2, v["data_offsets"][1] - 2]
    edited("overlap.safetensors", "BAD_OFFSETS", "BAD_OFFSETS", "value_0 starts 2 bytes inside key_0", overlap, data[:-2])
    edited("trailing_bytes.safetensors", "BAD_OFFSETS", "BAD_OFFSETS", "4 bytes after the last tensor",
           lambda h: None, data + b"\0\0\0\0")

    def out_of_range(h):
        h["value_1"]["data_offsets"] = [h["value_1"]["data_offsets"][0] + 1000, h["value_1"]["data_offsets"][1] + 1000]
    edited("offset_out_of_range.safetensors", "BAD_OFFSETS", "BAD_OFFSETS", "value_1 points 1000 bytes past the data", out_of_range)

    # F64 with the same byte span needs a quarter of the elements: keep sizes consistent so dtype is the failure
    def f64_shape(h):
        h["key_1"]["dtype"] = "F64"
        h["key_1"]["shape"] = [1, 2, 3, 1]
    edited("dtype_f64.safetensors", "BAD_DTYPE", "BAD_DTYPE", "key_1 stored as F64", f64_shape)

    def f16_in_bf16(h):
        h["key_0"]["dtype"] = "F16"
    edited("dtype_mismatch.safetensors", "BAD_DTYPE", "BAD_DTYPE", "key_0 is F16 in a bf16 container", f16_in_bf16)

    def wrong_shape(h):
        h["key_1"]["shape"] = [1, 4, 3, 2]
    edited("shape_mismatch.safetensors", "BAD_SHAPE", "BAD_SHAPE", "key_1 is [1,4,3,2], the rest [1,2,3,4]", wrong_shape)

    def kept_lie(h):
        h["__metadata__"]["kept_tokens"] = "4"
    edited("kept_tokens_lie.safetensors", "BAD_SHAPE", "BAD_SHAPE", "kept_tokens 4, tensors hold 3", kept_lie)

    def kept_over(h):
        h["__metadata__"]["original_tokens"] = "2"
    edited("kept_over_original.safetensors", "TOKEN_BOUNDS", "TOKEN_BOUNDS", "kept 3 > original 2", kept_over)

    def missing_layer(h):
        del h["value_1"]
    edited("missing_tensor.safetensors", "BAD_TENSOR_SET", "BAD_TENSOR_SET", "value_1 missing (its bytes dropped)",
           missing_layer, data[:hdr["value_1"]["data_offsets"][0]])

    def missing_meta(h):
        del h["__metadata__"]["context_sha256"]
    edited("missing_metadata.safetensors", "BAD_METADATA", "BAD_METADATA", "context_sha256 missing", missing_meta)

    def extra_meta(h):
        h["__metadata__"]["note"] = "unsigned smuggled field"
    edited("unknown_metadata.safetensors", "BAD_METADATA", "BAD_METADATA", "an unknown metadata field", extra_meta)

    def bad_count(h):
        h["__metadata__"]["original_tokens"] = "07"
    edited("bad_token_count.safetensors", "BAD_METADATA", "BAD_METADATA", "original_tokens '07' is not canonical decimal", bad_count)

    def version(h):
        h["__metadata__"]["format_version"] = "2"
    edited("future_version.safetensors", "UNSUPPORTED_VERSION", "UNSUPPORTED_VERSION", "format_version 2", version)

    # the "One rule each" cases (README): edits of the compact header text, where JSON.parse and
    # json.loads used to disagree
    text = raw[8:8 + n].decode().rstrip()

    def texted(name: str, code: str, why: str, edit) -> None:
        h = edit(text)
        h = h if isinstance(h, bytes) else h.encode()
        h += b" " * (-len(h) % 8)
        (bad / name).write_bytes(struct.pack("<Q", len(h)) + h + data)
        add(name, code, code, why)

    params = '"params":"{\\"ratio\\":0.5,\\"seed\\":0}"'
    assert params in text
    texted("bom.safetensors", "BAD_HEADER", "a UTF-8 byte-order mark before '{'", lambda t: b"\xef\xbb\xbf" + t.encode())
    texted("float_offset.safetensors", "BAD_HEADER", "an offset written 0.0 (integers are integer literals)",
           lambda t: t.replace('"data_offsets":[0,', '"data_offsets":[0.0,', 1))
    texted("exponent_offset.safetensors", "BAD_HEADER", "an offset written 4.8e1",
           lambda t: t.replace('"data_offsets":[0,48]', '"data_offsets":[0,4.8e1]', 1))
    texted("duplicate_key.safetensors", "BAD_HEADER", "kind given twice, the second spelled with an escape",
           lambda t: t.replace('"kind":"kv"', '"kind":"kv","\\u006bind":"kv"', 1))
    texted("lone_surrogate.safetensors", "BAD_HEADER", "target_model ends in the escape of a lone surrogate",
           lambda t: t.replace("condense/golden-tiny", "condense/golden-tiny\\ud800", 1))
    texted("deep_nesting.safetensors", "BAD_HEADER", "an extra member nested 10,000 deep (limit 32)",
           lambda t: t[:-1] + ',"x":' + "[" * 10_000 + "]" * 10_000 + "}")
    texted("params_nan.safetensors", "BAD_METADATA", "NaN inside params",
           lambda t: t.replace(params, '"params":"{\\"ratio\\":NaN}"'))
    texted("params_deep.safetensors", "BAD_METADATA", "params nested 33 deep",
           lambda t: t.replace(params, '"params":"{\\"a\\":' + "[" * 32 + "]" * 32 + '}"'))
    texted("ss58_checksum.safetensors", "BAD_METADATA", "miner_hotkey with its last character changed (checksum)",
           lambda t: t.replace(ALICE, ALICE[:-1] + "Z"))
    texted("target_model_257.safetensors", "BAD_METADATA", "target_model of 257 code points",
           lambda t: t.replace("condense/golden-tiny", "m" * 257))
    texted("target_model_256_astral.safetensors", "MODEL_MISMATCH",
           "target_model of 256 code points outside the BMP (512 UTF-16 units): within the length rule",
           lambda t: t.replace("condense/golden-tiny", "\U0001F600" * 256))

    # value classes: the header is fine (TypeScript accepts it); Python reads the bytes and refuses
    nan = bytearray(data)
    nan[0:2] = struct.pack("<H", 0x7FC0)  # bf16 NaN as the first element of key_0
    h = json.loads(json.dumps(hdr))
    h["__metadata__"]["data_sha256"] = hashlib.sha256(bytes(nan)).hexdigest()
    craft(bad / "nan.safetensors", h, bytes(nan))
    add("nan.safetensors", "ok", "NON_FINITE", "a bf16 NaN in key_0, data hash updated to match")
    inf = bytearray(data)
    inf[2:4] = struct.pack("<H", 0x7F80)  # bf16 +Inf
    h["__metadata__"]["data_sha256"] = hashlib.sha256(bytes(inf)).hexdigest()
    craft(bad / "inf.safetensors", h, bytes(inf))
    add("inf.safetensors", "ok", "NON_FINITE", "a bf16 +Inf in key_0, data hash updated to match")
    flipped = bytearray(raw)
    flipped[-1] ^= 0x01
    (bad / "data_tampered.safetensors").write_bytes(bytes(flipped))
    add("data_tampered.safetensors", "ok", "DATA_MISMATCH", "one data bit flipped; data_sha256 unchanged")

    # legacy .npy classes
    obj = bad / "object_dtype.npy"
    np.save(obj, np.array([1, "x"], dtype=object), allow_pickle=True)  # written here, never loaded
    add("object_dtype.npy", "-", "NPY_PICKLE", "object dtype: loading would unpickle")
    (bad / "pickle.npy").write_bytes(pickle.dumps({"not": "an array"}, protocol=4))
    add("pickle.npy", "-", "NPY_PICKLE", "a pickle named .npy")
    (bad / "truncated.npy").write_bytes(legacy.read_bytes()[:-8])
    add("truncated.npy", "-", "TRUNCATED", "last 8 bytes cut off")
    np.save(bad / "wrong_rank.npy", np.zeros((2, 2, 3, 4), dtype=np.float32))
    add("wrong_rank.npy", "-", "BAD_SHAPE", "rank 4, the legacy KV layout is [L, 2, 1, H, T, D]")
    np.save(bad / "int_dtype.npy", np.zeros((2, 2, 1, 2, 3, 4), dtype=np.int32))
    add("int_dtype.npy", "-", "NPY_BAD", "int32 values")
    arr = np.zeros((2, 2, 1, 2, 3, 4), dtype=np.float32)
    arr[1, 0, 0, 1, 2, 3] = np.nan
    np.save(bad / "nan.npy", arr)
    add("nan.npy", "-", "NON_FINITE", "a NaN in the legacy cache")

    manifest = {
        "comment": "Generated by proto/container/generate.sh; do not edit by hand. Spec: proto/container/README.md.",
        "format_version": "1",
        "model": MODEL,
        "context": CONTEXT,
        "context_sha256": hashlib.sha256(CONTEXT.encode()).hexdigest(),
        "signer": {"uri": "//Alice", "address": ALICE},
        "valid": valid,
        "legacy": legacy_entries,
        "malformed": malformed,
    }
    (OUT / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    print(f"wrote {len(valid)} valid, {len(legacy_entries)} legacy, {len(malformed)} malformed files to {OUT}")


if __name__ == "__main__":
    main()

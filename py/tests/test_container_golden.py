"""The golden container files (proto/container/golden) against the Python writer and reader."""
from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from condense_worker.container import (
    ContainerError, Expectations, ModelShape, import_legacy_npy, import_soft_tokens_npy, read_container,
    read_container_header, signing_message,
)

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = ROOT / "proto" / "container" / "golden"
MANIFEST = json.loads((GOLDEN / "manifest.json").read_text())
MODEL = ModelShape(**MANIFEST["model"])
EXPECT = Expectations(target_model="condense/golden-tiny", context_sha256=MANIFEST["context_sha256"])
VALID = {v["file"]: v for v in MANIFEST["valid"]}


def test_manifest_context_hash_is_sha256_of_the_context():
    assert hashlib.sha256(MANIFEST["context"].encode("utf-8")).hexdigest() == MANIFEST["context_sha256"]


def test_writer_reproduces_every_unsigned_golden_file_byte_for_byte(tmp_path):
    subprocess.run([sys.executable, str(ROOT / "proto/container/make_golden.py"), str(tmp_path)], check=True,
                   capture_output=True)
    fresh = json.loads((tmp_path / "manifest.json").read_text())
    names = [v["file"] for v in fresh["valid"]] + [v["file"] for v in fresh["legacy"]] + [m["file"] for m in fresh["malformed"]]
    assert len(names) >= 30
    for name in names:
        assert (tmp_path / name).read_bytes() == (GOLDEN / name).read_bytes(), name


@pytest.mark.parametrize("name", sorted(VALID))
def test_golden_valid_files_read_with_manifest_fields(name):
    entry = VALID[name]
    path = GOLDEN / name
    header = read_container_header(path, MODEL, expect=EXPECT)
    assert header.file_bytes == entry["bytes"] == path.stat().st_size
    assert header.header_bytes == entry["header_bytes"]
    assert header.meta.signed == entry["signed"]
    for key, value in entry["metadata"].items():
        if value is not None:  # signed files: the signature is randomised, verified on the TypeScript side
            assert header.meta.raw[key] == value, key
    raw = path.read_bytes()[header.data_offset:]
    got = [{"name": e.name, "dtype": e.dtype, "shape": list(e.shape), "data_offsets": [e.begin, e.end],
            "sha256": hashlib.sha256(raw[e.begin:e.end]).hexdigest()} for e in header.tensors]
    assert got == entry["tensors"]
    if entry["file_sha256"] is not None:
        assert hashlib.sha256(path.read_bytes()).hexdigest() == entry["file_sha256"]
    if "signing_message" in entry:
        assert signing_message(header.meta.raw, header.tensors).decode() == entry["signing_message"]
    data, meta = read_container(path, MODEL, expect=EXPECT)
    assert meta.kept_tokens == 3 and meta.original_tokens == 7


def test_golden_kv_values_agree_across_dtypes_and_the_legacy_npy():
    legacy = import_legacy_npy(GOLDEN / "legacy_kv.npy", MODEL)
    for name in ("kv_f32.safetensors", "kv_f16.safetensors", "kv_bf16.safetensors", "kv_bf16_signed.safetensors"):
        layers, _ = read_container(GOLDEN / name, MODEL)
        assert len(layers) == len(legacy) == 2
        for (k, v), (lk, lv) in zip(layers, legacy):
            assert torch.equal(k.float(), lk) and torch.equal(v.float(), lv)  # values are exact in every dtype
    layers, _ = read_container(GOLDEN / "kv_int8.safetensors", MODEL, dequantize_to=torch.float32)
    for (k, v), (lk, lv) in zip(layers, legacy):
        for got, want in ((k, lk), (v, lv)):
            step = want.abs().amax(dim=2, keepdim=True) / 127
            assert bool(((got - want).abs() <= step / 2 + 1e-7).all())


def test_golden_soft_tokens_match_their_npy():
    soft, meta = read_container(GOLDEN / "soft_tokens_bf16.safetensors", MODEL, expect=EXPECT)
    assert meta.kind == "soft_tokens" and soft.shape == (3, 8)
    assert torch.equal(soft.float(), import_soft_tokens_npy(GOLDEN / "soft_tokens.npy", MODEL))


@pytest.mark.parametrize("entry", MANIFEST["malformed"], ids=lambda e: e["file"])
def test_golden_malformed_files_give_their_error_code(entry):
    path = GOLDEN / entry["file"]
    expect = Expectations(target_model=EXPECT.target_model, context_sha256=EXPECT.context_sha256,
                          miner_hotkey=MANIFEST["signer"]["address"])
    if path.suffix == ".npy":
        run = lambda: import_legacy_npy(path, MODEL)  # noqa: E731
    else:
        run = lambda: read_container(path, MODEL, expect=expect)  # noqa: E731
    if entry["py"] == "ok":
        run()
        return
    with pytest.raises(ContainerError) as err:
        run()
    assert err.value.code == entry["py"], str(err.value)


def test_object_dtype_npy_is_refused_without_unpickling(monkeypatch):
    import pickle
    def boom(*a, **k):
        raise AssertionError("pickle was used")
    monkeypatch.setattr(pickle, "loads", boom)
    monkeypatch.setattr(pickle, "load", boom)
    monkeypatch.setattr(np, "load", boom)
    for name in ("object_dtype.npy", "pickle.npy"):
        with pytest.raises(ContainerError) as err:
            import_legacy_npy(GOLDEN / "malformed" / name)
        assert err.value.code == "NPY_PICKLE"

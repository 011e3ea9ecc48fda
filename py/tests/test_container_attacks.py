"""Hostile containers against the Python reader (issue 9); the same rules run on both readers in
test/container/attacks.test.ts and the mutation corpus in test/container/corpus.test.ts."""
from __future__ import annotations

import json
import struct
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from condense_worker.container import ContainerError, ContainerLimits, ModelShape, read_container, read_container_header
from condense_worker.container.ss58 import ss58_public_key
from condense_worker.errors import InvalidContainer

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = ROOT / "proto" / "container" / "golden"
MANIFEST = json.loads((GOLDEN / "manifest.json").read_text())
MODEL = ModelShape(**MANIFEST["model"])
ALICE = MANIFEST["signer"]["address"]
BASE = (GOLDEN / "kv_bf16.safetensors").read_bytes()
N = struct.unpack("<Q", BASE[:8])[0]
TEXT = BASE[8:8 + N].decode().rstrip()


def _file(tmp_path, header: str | bytes, name="x.safetensors") -> Path:
    h = header.encode() if isinstance(header, str) else header
    p = tmp_path / name
    p.write_bytes(struct.pack("<Q", len(h)) + h + BASE[8 + N:])
    return p


def _code(path) -> str:
    with pytest.raises(ContainerError) as err:
        read_container(path, MODEL)
    return err.value.code


def test_deep_nesting_is_bad_header_not_recursion_error(tmp_path):
    deep = _file(tmp_path, TEXT[:-1] + ',"x":' + "[" * 100_000 + "]" * 100_000 + "}")
    assert _code(deep) == "BAD_HEADER"
    unclosed = _file(tmp_path, TEXT[:-1] + ',"x":' + "[" * 100_000, "unclosed.safetensors")
    assert _code(unclosed) == "BAD_HEADER"


def test_deep_params_is_bad_metadata(tmp_path):
    params = json.dumps('{"a":' + "[" * 1999 + "]" * 1999 + "}")
    p = _file(tmp_path, TEXT.replace('"params":"{\\"ratio\\":0.5,\\"seed\\":0}"', f'"params":{params}'))
    assert _code(p) == "BAD_METADATA"


def test_evaluate_blames_the_miner_for_a_deep_header(tmp_path):
    from condense_worker.handlers.evaluate import _read

    deep = _file(tmp_path, TEXT[:-1] + ',"x":' + "{\"a\":" * 40_000 + "1" + "}" * 40_000 + "}")
    shape = SimpleNamespace(num_layers=2, num_kv_heads=2, head_dim=4, hidden_size=8)
    with pytest.raises(InvalidContainer) as err:
        _read(SimpleNamespace(shape=shape), str(deep))
    assert "BAD_HEADER" in str(err.value)


@pytest.mark.parametrize("edit, code", [
    (lambda t: "\ufeff" + t, "BAD_HEADER"),
    (lambda t: t.replace('"data_offsets":[0,48]', '"data_offsets":[0.0,48]'), "BAD_HEADER"),
    (lambda t: t.replace('"data_offsets":[0,48]', '"data_offsets":[0,4.8e1]'), "BAD_HEADER"),
    (lambda t: t.replace('"kind":"kv"', '"kind":"kv","kind":"kv"'), "BAD_HEADER"),
    (lambda t: t.replace("condense/golden-tiny", "condense/golden-tiny\\ud800"), "BAD_HEADER"),
    (lambda t: t.replace("condense/golden-tiny", "\U0001F600" * 256), None),
    (lambda t: t.replace("condense/golden-tiny", "m" * 257), "BAD_METADATA"),
    (lambda t: t.replace('{\\"ratio\\":0.5,\\"seed\\":0}', '{\\"ratio\\":NaN}'), "BAD_METADATA"),
    (lambda t: t.replace(ALICE, ALICE[:-1] + ("Z" if ALICE[-1] != "Z" else "Y")), "BAD_METADATA"),
    (lambda t: t.replace(ALICE, "5" * 250_000), "BAD_METADATA"),
], ids=["bom", "float-int", "exp-int", "dup-key", "lone-surrogate", "256-astral", "257-chars", "params-nan",
        "ss58-checksum", "huge-hotkey"])
def test_one_rule_each(tmp_path, edit, code):
    p = _file(tmp_path, edit(TEXT).encode())
    t0 = time.process_time()
    if code is None:
        read_container_header(p, MODEL)
    else:
        with pytest.raises(ContainerError) as err:
            read_container_header(p, MODEL)
        assert err.value.code == code, str(err.value)
    assert time.process_time() - t0 < 2.0


def test_ss58_rule():
    assert ss58_public_key(ALICE) is not None and len(ss58_public_key(ALICE)) == 32
    alice0 = "15oF4uVJwmo4TdGW7VfQxNLavjCXviqxT9S1MgbjMNHr6Sp5"  # //Alice with prefix 0
    assert ss58_public_key(alice0) == ss58_public_key(ALICE)
    for bad in ("", "0x" + "d4" * 32, ALICE + "1", ALICE[:-1] + "Z", "1" * 47, "5" * 250_000):
        assert ss58_public_key(bad) is None, bad[:60]


@pytest.mark.parametrize("kwargs", [
    {"max_kept_tokens": None}, {"max_file_bytes": -1}, {"max_header_bytes": 1.5}, {"max_tensors": True},
    {"allowed_dtypes": ("f64",)}, {"allowed_kinds": "kv"}, {"min_kept_tokens": 10, "max_kept_tokens": 5},
])
def test_limits_refuse_a_missing_or_malformed_bound(kwargs):
    with pytest.raises(ValueError):
        ContainerLimits(**kwargs)
    assert ContainerLimits(min_kept_tokens=128, max_kept_tokens=1536).max_kept_tokens == 1536


def test_python_knows_every_code_of_the_documented_table():
    from condense_worker.container.errors import CODES

    doc = (ROOT / "docs" / "container.md").read_text()
    table = doc.split("<!-- container-errors:start -->")[1].split("<!-- container-errors:end -->")[0]
    codes = {line.split("`")[1] for line in table.splitlines() if line.startswith("| `")}
    assert len(codes) == 20 and codes <= CODES


def _nested(depth: int):
    v = 1
    for _ in range(depth):
        v = [v]
    return v


@pytest.mark.parametrize("over", [
    {"params": {"a": _nested(40)}},
    {"params": '{"a":1,"a":2}'},
    {"target_model": "tiny\ud800"},
    {"miner_hotkey": ALICE[:-1] + "Z"},
], ids=["params-too-deep", "params-dup", "lone-surrogate-model", "ss58-checksum"])
def test_writer_refuses_what_the_readers_refuse(tmp_path, over):
    import torch

    from condense_worker.container import write_kv_container

    layers = [(torch.zeros(1, 2, 3, 4), torch.zeros(1, 2, 3, 4)) for _ in range(2)]
    meta = {"target_model": "tiny", "original_tokens": 7, "algorithm": "knorm", "params": {},
            "context": "c", "miner_hotkey": ALICE, **over}
    with pytest.raises(ContainerError) as err:
        write_kv_container(tmp_path / "w.safetensors", layers, meta, "bf16")
    assert err.value.code == "BAD_INPUT"
    assert not (tmp_path / "w.safetensors").exists()

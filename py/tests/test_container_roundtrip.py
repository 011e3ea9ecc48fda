"""Writer/reader round trips, exact size arithmetic, limits and expectations, legacy and soft-token .npy."""
from __future__ import annotations

import json
import os
import struct

import numpy as np
import pytest
import torch
from safetensors.torch import load_file

from condense_worker.container import (
    ContainerError, ContainerLimits, Expectations, ModelShape, container_to_legacy_npy, context_sha256,
    export_legacy_npy, export_soft_tokens_npy, import_legacy_npy, import_soft_tokens_npy, legacy_npy_to_container,
    read_container, read_container_header, read_npy_header, write_kv_container, write_soft_token_container,
)

L, H, T, D = 4, 2, 64, 16
MODEL = ModelShape(num_layers=L, kv_heads=H, head_dim=D, hidden_size=32)
HOTKEY = "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY"


def layers(seed: int = 0, t: int = T):
    g = torch.Generator().manual_seed(seed)
    return [(torch.randn(1, H, t, D, generator=g), torch.randn(1, H, t, D, generator=g)) for _ in range(L)]


def meta(**over):
    m = {"target_model": "tiny/model", "original_tokens": 200, "algorithm": "snapkv", "params": {"ratio": 0.68},
         "context": "some context", "miner_hotkey": HOTKEY}
    m.update(over)
    return m


def code_of(fn) -> str:
    with pytest.raises(ContainerError) as err:
        fn()
    return err.value.code


@pytest.mark.parametrize("dtype,torch_dtype", [("f32", torch.float32), ("f16", torch.float16), ("bf16", torch.bfloat16)])
def test_float_round_trip_is_exact_in_the_stored_dtype(tmp_path, dtype, torch_dtype):
    src = layers()
    info = write_kv_container(tmp_path / "c.safetensors", src, meta(), dtype)
    got, m = read_container(info.path, MODEL, expect=Expectations(context_sha256=context_sha256("some context")))
    assert m.dtype == dtype and m.kept_tokens == T and m.params == {"ratio": 0.68} and not m.signed
    for (k, v), (sk, sv) in zip(got, src):
        assert k.dtype == torch_dtype and torch.equal(k, sk.to(torch_dtype)) and torch.equal(v, sv.to(torch_dtype))


def test_int8_round_trip_is_within_half_a_step_per_channel(tmp_path):
    src = layers(1)
    src[0][0][0, 1, :, 3] = 0.0  # an all-zero channel: scale 0, decodes to exact zeros
    info = write_kv_container(tmp_path / "q.safetensors", src, meta(), "int8")
    got, m = read_container(info.path, MODEL, dequantize_to=torch.float32)
    assert m.dtype == "int8"
    assert torch.equal(got[0][0][0, 1, :, 3], torch.zeros(T))
    for (k, v), (sk, sv) in zip(got, src):
        for a, b in ((k, sk), (v, sv)):
            half_step = b.abs().amax(dim=2, keepdim=True) / 127 / 2
            assert bool(((a - b).abs() <= half_step + 1e-6).all())


def test_container_sizes_against_the_legacy_npy_exactly(tmp_path):
    src = layers()
    values = L * 2 * H * T * D
    npy_bytes = export_legacy_npy(tmp_path / "legacy.npy", src)
    npy_header = read_npy_header(tmp_path / "legacy.npy")
    assert npy_bytes == npy_header.data_offset + values * 4
    sizes, totals = {}, {}
    for dt in ("f32", "bf16", "int8"):
        info = write_kv_container(tmp_path / f"{dt}.safetensors", src, meta(), dt)
        h = read_container_header(info.path)
        assert info.bytes == os.path.getsize(info.path)
        sizes[dt] = info.bytes - h.data_offset
        totals[dt] = (info.bytes, h.header_bytes)
    fp32_data = values * 4
    assert sizes["f32"] == fp32_data
    assert 2 * sizes["bf16"] == fp32_data  # bf16 is exactly half the legacy fp32 tensor bytes
    scale_bytes = L * 2 * H * D * 4  # one f32 scale per (layer, k|v, head, channel)
    assert sizes["int8"] == fp32_data // 4 + scale_bytes  # a quarter, plus 4/T of it in scales
    assert scale_bytes / (fp32_data // 4) == pytest.approx(4 / T)
    # whole files: container = 8-byte prefix + its JSON header + tensor bytes; .npy = its header + fp32 bytes
    bf16_total, bf16_header = totals["bf16"]
    assert bf16_total == 8 + bf16_header + (npy_bytes - npy_header.data_offset) // 2


def test_safetensors_library_reads_our_files(tmp_path):
    src = layers(2)
    info = write_kv_container(tmp_path / "c.safetensors", src, meta(), "bf16")
    loaded = load_file(info.path)
    assert sorted(loaded) == sorted(f"{p}_{i}" for i in range(L) for p in ("key", "value"))
    assert torch.equal(loaded["value_3"], src[3][1].to(torch.bfloat16))


def test_header_layout_is_compact_padded_and_tiles_the_data(tmp_path):
    info = write_kv_container(tmp_path / "c.safetensors", layers(), meta(), "bf16")
    raw = open(info.path, "rb").read()
    (n,) = struct.unpack("<Q", raw[:8])
    assert (8 + n) % 8 == 0 and raw[8 + n - 1:8 + n] in (b" ", b"}")
    header = json.loads(raw[8:8 + n])
    assert list(header)[0] == "__metadata__"
    assert b'"signature":"' + b"0" * 128 + b'"' in raw[:8 + n]
    ends = sorted(tuple(v["data_offsets"]) for k, v in header.items() if k != "__metadata__")
    assert ends[0][0] == 0 and ends[-1][1] == len(raw) - 8 - n
    assert all(a[1] == b[0] for a, b in zip(ends, ends[1:]))


def test_soft_tokens_round_trip_and_npy(tmp_path):
    soft = torch.randn(1, 12, 32)  # a batch of one is accepted and squeezed
    info = write_soft_token_container(tmp_path / "s.safetensors", soft, meta(algorithm="soft_token"), "f32")
    got, m = read_container(info.path, MODEL)
    assert m.kind == "soft_tokens" and m.kept_tokens == 12 and torch.equal(got, soft[0])
    export_soft_tokens_npy(tmp_path / "s.npy", got)
    assert np.load(tmp_path / "s.npy").shape == (12, 32)
    assert torch.equal(import_soft_tokens_npy(tmp_path / "s.npy", MODEL), soft[0])
    assert code_of(lambda: import_soft_tokens_npy(tmp_path / "s.npy", ModelShape(1, 1, 1, hidden_size=16))) == "BAD_SHAPE"
    assert code_of(lambda: write_soft_token_container(tmp_path / "x", soft, meta(), "int8")) == "BAD_INPUT"


def test_legacy_npy_round_trips_through_a_container(tmp_path):
    src = layers(3)
    export_legacy_npy(tmp_path / "in.npy", src)
    assert np.load(tmp_path / "in.npy", allow_pickle=False).shape == (L, 2, 1, H, T, D)
    legacy_npy_to_container(tmp_path / "in.npy", tmp_path / "c.safetensors", meta(), "f32", MODEL)
    container_to_legacy_npy(tmp_path / "c.safetensors", tmp_path / "out.npy", MODEL)
    assert (tmp_path / "in.npy").read_bytes() == (tmp_path / "out.npy").read_bytes()
    back = import_legacy_npy(tmp_path / "out.npy", MODEL)
    assert all(torch.equal(a, c) and torch.equal(b, d) for (a, b), (c, d) in zip(back, src))
    assert code_of(lambda: import_legacy_npy(tmp_path / "in.npy", ModelShape(L, H + 1, D))) == "BAD_SHAPE"
    assert code_of(lambda: import_legacy_npy(tmp_path / "in.npy", limits=ContainerLimits(max_kept_tokens=T - 1))) == "TOKEN_BOUNDS"


def test_fortran_order_and_big_endian_npy_are_refused(tmp_path):
    np.save(tmp_path / "f.npy", np.asfortranarray(np.zeros((2, 2, 1, 2, 3, 4), dtype=np.float32)))
    np.save(tmp_path / "b.npy", np.zeros((2, 2, 1, 2, 3, 4), dtype=">f4"))
    for name in ("f.npy", "b.npy"):
        assert code_of(lambda: import_legacy_npy(tmp_path / name)) == "NPY_BAD"


def test_limits_and_expectations_each_have_their_code(tmp_path):
    path = write_kv_container(tmp_path / "c.safetensors", layers(), meta(), "f32").path
    size = os.path.getsize(path)
    cases = {
        "TOO_MANY_TENSORS": dict(limits=ContainerLimits(max_tensors=2 * L - 1)),
        "FILE_TOO_LARGE": dict(limits=ContainerLimits(max_file_bytes=size - 1)),
        "HEADER_TOO_LARGE": dict(limits=ContainerLimits(max_header_bytes=64)),
        "TOKEN_BOUNDS": dict(limits=ContainerLimits(min_kept_tokens=T + 1)),
        "BAD_DTYPE": dict(limits=ContainerLimits(allowed_dtypes=("bf16",))),
        "BAD_SHAPE": dict(model=ModelShape(L + 1, H, D)),
        "MODEL_MISMATCH": dict(expect=Expectations(target_model="other/model")),
        "BINDING_MISMATCH": dict(expect=Expectations(context_sha256=context_sha256("another context"))),
        "HOTKEY_MISMATCH": dict(expect=Expectations(miner_hotkey="5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty")),
    }
    for code, kw in cases.items():
        assert code_of(lambda: read_container(path, **kw)) == code, code
    assert code_of(lambda: read_container(tmp_path / "missing.safetensors")) == "IO"


def test_duplicate_json_keys_are_refused(tmp_path):
    path = write_kv_container(tmp_path / "c.safetensors", layers(), meta(), "f32").path
    raw = open(path, "rb").read()
    (n,) = struct.unpack("<Q", raw[:8])
    text = raw[8:8 + n].rstrip(b" ")
    dup = text[:-1] + b',"key_0":' + json.dumps(json.loads(text)["key_0"]).encode() + b"}"
    dup += b" " * (-len(dup) % 8)
    open(path, "wb").write(struct.pack("<Q", len(dup)) + dup + raw[8 + n:])
    assert code_of(lambda: read_container_header(path)) == "BAD_HEADER"


def test_writer_refuses_nan_and_leaves_no_file(tmp_path):
    src = layers()
    src[2][1][0, 0, 5, 5] = float("inf")
    for dt in ("bf16", "int8"):
        assert code_of(lambda: write_kv_container(tmp_path / "c.safetensors", src, meta(), dt)) == "NON_FINITE"
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("bad", [
    dict(layers=[]),
    dict(layers=[(torch.zeros(1, 2, 3, 4), torch.zeros(1, 2, 4, 4))]),
    dict(layers=[(torch.zeros(2, 2, 3, 4), torch.zeros(2, 2, 3, 4))]),
    dict(layers=[(torch.zeros(1, 2, 3, 4, dtype=torch.int32),) * 2]),
    dict(meta=meta(original_tokens=2)),
    dict(meta=meta(algorithm="Bad Name")),
    dict(meta=meta(miner_hotkey="not-an-address")),
    dict(meta=meta(target_model="a\nb")),
    dict(meta=meta(extra_field=1)),
    dict(meta={k: v for k, v in meta().items() if k != "context"}),
    dict(meta=meta(params={"x": float("nan")})),
    dict(dtype="f64"),
])
def test_writer_refuses_bad_input(tmp_path, bad):
    args = dict(layers=[(torch.zeros(1, 2, 3, 4), torch.zeros(1, 2, 3, 4))], meta=meta(), dtype="bf16") | bad
    assert code_of(lambda: write_kv_container(tmp_path / "c.safetensors", args["layers"], args["meta"], args["dtype"])) == "BAD_INPUT"


def test_mistral_sizes_in_the_docs_follow_from_the_layout():
    """docs/container.md quotes these file sizes for Mistral-7B at T = 1000; the header is computed, no data written."""
    from condense_worker.container.writer import _header_bytes, _meta_strings, _Planned

    m = _meta_strings(meta(target_model="mistralai/Mistral-7B-Instruct-v0.2", original_tokens=3012,
                           algorithm="kvzip", params={"ratio": 0.75}), "kv", "bf16", 1000)
    kv = [(f"{p}_{i}", (1, 8, 1000, 128)) for i in range(32) for p in ("key", "value")]
    header, data = _header_bytes(m, [_Planned(n, "BF16", s, lambda: None) for n, s in kv])
    assert (len(header), 8 + len(header) + data) == (6024, 131_078_032)
    m["dtype"] = "int8"
    plan = [_Planned(f"{n}.scale", "F32", (1, 8, 1, 128), lambda: None) for n, _ in kv]
    plan += [_Planned(n, "I8", s, lambda: None) for n, s in kv]
    header, data = _header_bytes(m, plan)
    assert (len(header), 8 + len(header) + data) == (11096, 65_809_248)
    legacy = 128 + 32 * 2 * 8 * 1000 * 128 * 4
    assert legacy == 262_144_128


def test_container_info_maps_onto_the_worker_protocol(tmp_path):
    from condense_worker.container import container_dtype, container_info_proto
    from condense_worker.gen.condense.v1 import worker_pb2 as pb

    info = write_kv_container(tmp_path / "c.safetensors", layers(), meta(), "int8")
    msg = container_info_proto(info)
    assert (msg.kept_tokens, msg.original_tokens, msg.num_layers, msg.bytes, msg.format, msg.dtype) == (
        T, 200, L, os.path.getsize(info.path), "kv", pb.DTYPE_I8)
    assert msg.sha256_context == context_sha256("some context")
    assert container_dtype(pb.DTYPE_UNSPECIFIED) == "bf16" and container_dtype(pb.DTYPE_F16) == "f16"
    with pytest.raises(ValueError):
        container_dtype(pb.DTYPE_I64)


@pytest.mark.parametrize("dtype,torch_dtype", [("BF16", torch.bfloat16), ("F16", torch.float16), ("F32", torch.float32)])
def test_non_finite_bit_check_agrees_with_torch(dtype, torch_dtype):
    from condense_worker.container.finite import count_non_finite

    info = torch.finfo(torch_dtype)
    values = torch.tensor([0.0, -0.0, 1.0, info.max, -info.max, info.tiny, info.tiny / 4, float("nan"),
                           float("inf"), float("-inf"), -float("nan")], dtype=torch_dtype)
    raw = values.view(torch.uint8).numpy().tobytes()
    assert count_non_finite(raw, dtype) == int((~torch.isfinite(values)).sum()) == 4
    assert count_non_finite(b"\x7f\xff", "I8") == 0


def test_f16_overflow_is_caught_on_the_stored_bytes(tmp_path):
    src = [(torch.full((1, 2, 3, 4), 1e5), torch.zeros(1, 2, 3, 4))]  # finite in f32, +Inf in f16
    write_kv_container(tmp_path / "ok.safetensors", src, meta(original_tokens=3), "bf16")
    assert code_of(lambda: write_kv_container(tmp_path / "c.safetensors", src, meta(original_tokens=3), "f16")) == "NON_FINITE"

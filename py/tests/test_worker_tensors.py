"""tensors.py in process: size checks, zero-copy views, one-copy sends, FileRefs."""

from __future__ import annotations

import mmap
import os

import pytest
import torch

from condense_worker.errors import Malformed, NotFound
from condense_worker.gen.condense.v1 import worker_pb2 as pb
from condense_worker.tensors import (
    decode_tensors,
    encode_files,
    encode_frames,
    file_refs_of,
    raw_bytes,
    remove_files,
)

DTYPES = [torch.float32, torch.float16, torch.bfloat16, torch.int8, torch.int32, torch.int64, torch.uint8]
SHAPES = [[], [0], [3, 0, 2], [1], [2, 3], [1, 2, 5, 7]]


def sample(dtype: torch.dtype, shape: list[int], seed: int = 0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    if dtype.is_floating_point:
        return torch.randn(shape, generator=g).to(dtype)
    info = torch.iinfo(dtype)
    return torch.randint(max(info.min, -1000), min(info.max, 1000), shape, generator=g, dtype=torch.int64).to(dtype)


def same_bits(a: torch.Tensor, b: torch.Tensor) -> bool:
    return a.dtype == b.dtype and list(a.shape) == list(b.shape) and bytes(raw_bytes(a)) == bytes(raw_bytes(b))


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: "x".join(map(str, s)) or "scalar")
def test_frames_round_trip_every_dtype_and_shape(dtype: torch.dtype, shape: list[int]) -> None:
    t = sample(dtype, shape)
    enc = encode_frames([("t", t)])
    assert enc.described[0].dtype != pb.DTYPE_UNSPECIFIED
    assert list(enc.described[0].shape) == shape
    back = decode_tensors(enc.described, [bytes(f) for f in enc.frames])["t"]
    assert same_bits(back, t)


def test_bf16_travels_as_its_raw_two_byte_pattern() -> None:
    t = torch.tensor([1.0, -2.5, 3.140625], dtype=torch.bfloat16)
    data = bytes(raw_bytes(t))
    assert len(data) == 6
    assert data == t.view(torch.int16).numpy().tobytes()


def test_receive_is_a_zero_copy_view_of_the_frame() -> None:
    buf = bytearray(torch.arange(12, dtype=torch.float32).numpy().tobytes())
    desc = [pb.Tensor(name="x", dtype=pb.DTYPE_F32, shape=[3, 4], frame=0)]
    x = decode_tensors(desc, [buf])["x"]
    buf[0:4] = torch.tensor([42.0]).numpy().tobytes()  # writing the frame shows through the view
    assert x[0, 0].item() == 42.0


def test_send_of_a_contiguous_tensor_does_not_copy() -> None:
    t = torch.arange(1024, dtype=torch.float32)
    view = raw_bytes(t)
    t[0] = 7.0
    assert torch.frombuffer(bytearray(view[:4]), dtype=torch.float32).item() == 7.0


def test_large_tensor_round_trip() -> None:
    t = sample(torch.float16, [8, 1024, 1024])  # 16 MiB
    enc = encode_frames([("big", t)])
    back = decode_tensors(enc.described, enc.frames)["big"]
    assert torch.equal(back, t)


@pytest.mark.parametrize(
    "described, frames, needle",
    [
        ([pb.Tensor(name="a", dtype=pb.DTYPE_F32, shape=[2, 2], frame=0)], [b"\0" * 15], "needs 16 bytes, frame has 15"),
        ([pb.Tensor(name="a", dtype=pb.DTYPE_I64, shape=[3], frame=0)], [b"\0" * 32], "needs 24 bytes"),
        ([pb.Tensor(name="a", dtype=pb.DTYPE_F32, shape=[1], frame=1)], [b"\0" * 4], "names frame 1"),
        ([pb.Tensor(name="a", dtype=pb.DTYPE_F32, shape=[1], frame=0)], [b"\0" * 4, b"\0"], "2 frames follow the header but 1"),
        ([pb.Tensor(name="a", dtype=pb.DTYPE_UNSPECIFIED, shape=[1], frame=0)], [b"\0" * 4], "unsupported dtype DTYPE_UNSPECIFIED"),
        ([pb.Tensor(name="a", dtype=99, shape=[1], frame=0)], [b"\0" * 4], "unsupported dtype 99"),
        ([pb.Tensor(name="a", dtype=pb.DTYPE_U8, shape=[1])], [], "neither a frame nor a file"),
        (
            [pb.Tensor(name="a", dtype=pb.DTYPE_U8, shape=[1], frame=0), pb.Tensor(name="a", dtype=pb.DTYPE_U8, shape=[1], frame=1)],
            [b"\0", b"\0"],
            "appears twice",
        ),
        (
            [pb.Tensor(name="a", dtype=pb.DTYPE_U8, shape=[1], frame=0), pb.Tensor(name="b", dtype=pb.DTYPE_U8, shape=[1], frame=0)],
            [b"\0"],
            "described by two tensors",
        ),
    ],
)
def test_mismatched_descriptions_are_malformed(described, frames, needle) -> None:
    with pytest.raises(Malformed, match=needle):
        decode_tensors(described, frames)


def test_files_round_trip_with_aligned_unpaged_offsets(tmp_path) -> None:
    named = [(f"t{i}", sample(dt, [3, 5], seed=i)) for i, dt in enumerate(DTYPES)] + [("empty", torch.empty(0, 4))]
    enc = encode_files(named, str(tmp_path), "req")
    assert enc.frames == [] and len(enc.files) == 1
    offsets = [d.file.offset for d in enc.described]
    assert all(o % 64 == 0 for o in offsets)
    assert any(o % mmap.ALLOCATIONGRANULARITY for o in offsets)  # exercises the mmap page rounding
    back = decode_tensors(enc.described, [])
    for name, t in named:
        assert same_bits(back[name], t), name


def test_file_ref_errors(tmp_path) -> None:
    missing = pb.Tensor(name="m", dtype=pb.DTYPE_U8, shape=[4], file=pb.FileRef(path=str(tmp_path / "nope"), length=4))
    with pytest.raises(NotFound, match="does not exist"):
        decode_tensors([missing], [])
    path = tmp_path / "short.bin"
    path.write_bytes(b"\0" * 8)
    past_end = pb.Tensor(name="p", dtype=pb.DTYPE_U8, shape=[8], file=pb.FileRef(path=str(path), offset=4, length=8))
    with pytest.raises(Malformed, match="exceeds"):
        decode_tensors([past_end], [])
    wrong_len = pb.Tensor(name="w", dtype=pb.DTYPE_F32, shape=[2], file=pb.FileRef(path=str(path), length=4))
    with pytest.raises(Malformed, match="needs 8 bytes"):
        decode_tensors([wrong_len], [])
    with pytest.raises(NotFound):
        encode_files([("x", torch.zeros(1))], str(tmp_path / "no-dir"))


def test_remove_files_honours_keep(tmp_path) -> None:
    a, b = tmp_path / "a.bin", tmp_path / "b.bin"
    a.write_bytes(b"1")
    b.write_bytes(b"2")
    described = [
        pb.Tensor(name="a", dtype=pb.DTYPE_U8, shape=[1], file=pb.FileRef(path=str(a), length=1)),
        pb.Tensor(name="b", dtype=pb.DTYPE_U8, shape=[1], file=pb.FileRef(path=str(b), length=1, keep=True)),
    ]
    decode_tensors(described, [])
    remove_files(file_refs_of(described))
    remove_files(file_refs_of(described))  # twice: a missing file is fine
    assert not a.exists() and b.exists()
    assert os.path.getsize(b) == 1

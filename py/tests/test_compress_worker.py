"""Compress and Evaluate through a real worker subprocess (tiny:llama) over ZeroMQ, checked against the
same seeded model run in the test."""
from __future__ import annotations

import pytest
import torch

from condense_worker.compress import compress
from condense_worker.container import read_container
from condense_worker.evaluate import evaluate
from condense_worker.gen.condense.v1 import worker_pb2 as pb
from condense_worker.models import load_model
from condense_worker.tasks import MISTRAL_SUBNET

MODEL = "tiny:llama"
CONTEXT = MISTRAL_SUBNET.context("Ada keeps the spare key in the blue teapot on the top shelf. " * 5)
QUESTION = MISTRAL_SUBNET.question("Where is the spare key?")


@pytest.fixture(scope="module")
def worker(module_router):
    return module_router.spawn(MODEL, worker_id="compress-w")


@pytest.fixture(scope="module")
def direct():
    return load_model(MODEL)


def _error(reply) -> pb.Error:
    assert reply.kind == "error", f"expected an error, got {reply.msg}"
    return reply.msg.error


def test_hello_announces_the_algorithms(worker):
    caps = set(worker.hello.capabilities)
    assert {"compress", "evaluate", "compress:full", "compress:knorm", "compress:kvzip", "compress:soft_token"} <= caps
    assert "compress:activation_beacon" not in caps  # GPU hosts only


def test_compress_to_a_file_then_evaluate_it(worker, direct, tmp_path):
    path = str(tmp_path / "c.safetensors")
    reply = worker.call("compress", pb.CompressRequest(
        context=CONTEXT, target_model="test/target", algorithm="kvzip", output_path=path,
        params=pb.CompressParams(ratio=0.75), dtype=pb.DTYPE_F32, miner_hotkey=""))
    assert reply.kind == "compress", reply.msg
    info = reply.msg.compress.info
    T = len(direct.tokenizer(CONTEXT, add_special_tokens=False).input_ids)
    assert (info.original_tokens, info.kept_tokens, info.algorithm, info.format) == (T, int(T * 0.25), "kvzip", "kv")
    assert info.num_layers == direct.shape.num_layers and reply.msg.compress.path == path
    layers, meta = read_container(path)
    assert meta.target_model == "test/target" and meta.original_tokens == T
    ours = compress(direct.model, direct.tokenizer, CONTEXT, "kvzip", {"ratio": 0.75})
    for (k, v), (ok, ov) in zip(layers, ours.layers):
        torch.testing.assert_close(k, ok, rtol=0, atol=1e-5)
    ev = worker.call("evaluate", pb.EvaluateRequest(container_path=path, questions=[QUESTION], max_new_tokens=8,
                                                    existence_chunks=["the blue teapot"]))
    assert ev.kind == "evaluate", ev.msg
    expected = evaluate(direct.model, direct.tokenizer, path, [QUESTION], 8, ["the blue teapot"])
    assert list(ev.msg.evaluate.answers) == expected.answers
    assert list(ev.msg.evaluate.existence_replies) == expected.existence_replies
    assert list(ev.msg.evaluate.existence) == [v is True for v in expected.existence]
    batched = worker.call("evaluate", pb.EvaluateRequest(container_path=path, questions=[QUESTION, "\n\nAnd?"],
                                                         max_new_tokens=8, batch=True))
    assert batched.kind == "evaluate", batched.msg
    assert list(batched.msg.evaluate.answers) == evaluate(direct.model, direct.tokenizer, path,
                                                          [QUESTION, "\n\nAnd?"], 8).answers


def test_compress_as_a_frame_and_evaluate_from_a_frame(worker):
    reply = worker.call("compress", pb.CompressRequest(context=CONTEXT, algorithm="knorm",
                                                       params=pb.CompressParams(target_tokens=40)))
    assert reply.kind == "compress", reply.msg
    assert reply.msg.compress.info.kept_tokens == 40 and reply.msg.compress.info.dtype == pb.DTYPE_BF16
    blob = reply.tensors()["container"]
    assert blob.dtype == torch.uint8 and blob.numel() == reply.msg.compress.info.bytes
    ev = worker.call("evaluate", pb.EvaluateRequest(questions=[QUESTION], max_new_tokens=4),
                     tensors=[("container", blob)])
    assert ev.kind == "evaluate", ev.msg
    assert len(ev.msg.evaluate.answers) == 1


def test_soft_token_embeddings_container(worker):
    reply = worker.call("compress", pb.CompressRequest(
        context=CONTEXT, algorithm="soft_token", return_soft_embeddings=True,
        params=pb.CompressParams(checkpoint="random:tiny:llama", num_soft_tokens=4)))
    assert reply.kind == "compress", reply.msg
    assert reply.msg.compress.info.format == "soft_tokens" and reply.msg.compress.info.kept_tokens == 4


def test_typed_errors(worker, tmp_path):
    e = _error(worker.call("compress", pb.CompressRequest(context=CONTEXT, algorithm="zip")))
    assert e.code == pb.ERROR_CODE_UNSUPPORTED_ALGORITHM and "unknown algorithm" in e.message
    e = _error(worker.call("compress", pb.CompressRequest(context=CONTEXT, algorithm="knorm",
                                                          params=pb.CompressParams(ratio=1.5))))
    assert e.code == pb.ERROR_CODE_INVALID_ARGUMENT and "ratio" in e.message
    e = _error(worker.call("compress", pb.CompressRequest(context="", algorithm="knorm")))
    assert e.code == pb.ERROR_CODE_INVALID_ARGUMENT
    e = _error(worker.call("compress", pb.CompressRequest(context=CONTEXT, algorithm="activation_beacon",
                                                          params=pb.CompressParams(checkpoint=str(tmp_path / "x")))))
    assert e.code == pb.ERROR_CODE_NOT_FOUND
    e = _error(worker.call("evaluate", pb.EvaluateRequest(container_path=str(tmp_path / "none.safetensors"),
                                                          questions=[QUESTION])))
    assert e.code == pb.ERROR_CODE_NOT_FOUND
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{not a header}")
    e = _error(worker.call("evaluate", pb.EvaluateRequest(container_path=str(bad), questions=[QUESTION])))
    assert e.code == pb.ERROR_CODE_INVALID_CONTAINER
    # The worker is still serving after every error.
    ok = worker.call("compress", pb.CompressRequest(context=CONTEXT, algorithm="full"))
    assert ok.kind == "compress"


def test_legacy_npy_written_alongside_the_container(worker, tmp_path):
    from condense_worker.container import import_legacy_npy

    path, npy = str(tmp_path / "c.safetensors"), str(tmp_path / "c.npy")
    reply = worker.call("compress", pb.CompressRequest(
        context=CONTEXT, target_model="test/target", algorithm="knorm", output_path=path, legacy_npy_path=npy,
        params=pb.CompressParams(ratio=0.5), dtype=pb.DTYPE_F32, miner_hotkey=""))
    assert reply.kind == "compress", reply.msg
    layers, _ = read_container(path)
    legacy = import_legacy_npy(npy)
    assert reply.msg.compress.legacy_npy_bytes == (tmp_path / "c.npy").stat().st_size
    assert len(legacy) == len(layers)
    for (k, v), (lk, lv) in zip(layers, legacy):
        assert lk.dtype == torch.float32 and lk.shape == k.shape
        torch.testing.assert_close(lk, k, rtol=0, atol=0)
        torch.testing.assert_close(lv, v, rtol=0, atol=0)
    bad = worker.call("compress", pb.CompressRequest(context=CONTEXT, algorithm="knorm", legacy_npy_path=npy,
                                                     params=pb.CompressParams(ratio=0.5)))
    assert _error(bad).code == pb.ERROR_CODE_INVALID_ARGUMENT

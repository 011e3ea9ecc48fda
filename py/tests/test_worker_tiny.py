"""A tiny random model served by a real worker subprocess: prefill, generate, tokenize, health,
cancellation, deadlines and admission, checked against the same model run directly in the test."""

from __future__ import annotations

import time

import pytest
import torch

from condense_worker.gen.condense.v1 import worker_pb2 as pb
from condense_worker.models import load_model

MODEL = "tiny:qwen2"  # 4 layers: the deepest tiny config


@pytest.fixture(scope="module")
def worker(module_router):
    return module_router.spawn(MODEL, "--heartbeat-ms", "200", worker_id="tiny-w")


@pytest.fixture(scope="module")
def direct():
    """The same seeded model built in this process."""
    return load_model(MODEL)


@pytest.fixture(scope="module")
def context_ids():
    return torch.randint(0, 256, (1000,), generator=torch.Generator().manual_seed(7)).tolist()


@pytest.fixture(scope="module")
def kv(worker, context_ids):
    reply = worker.call("prefill", pb.PrefillRequest(input_ids=context_ids))
    assert reply.kind == "prefill", reply.msg
    return reply


def error_of(reply) -> pb.Error:
    assert reply.kind == "error", f"expected an error, got {reply.msg}"
    return reply.msg.error


def test_hello_shape_matches_the_model_config(worker, direct) -> None:
    h = worker.hello
    cfg = direct.config
    assert h.model == MODEL and h.device == "cpu" and h.dtype == pb.DTYPE_F32
    assert h.shape.num_layers == cfg.num_hidden_layers == 4
    assert h.shape.num_kv_heads == cfg.num_key_value_heads
    assert h.shape.head_dim == cfg.hidden_size // cfg.num_attention_heads
    assert h.shape.vocab_size == cfg.vocab_size
    assert {"health", "tokenize", "prefill", "generate", "echo"} <= set(h.capabilities)


def test_prefill_of_1k_tokens_equals_a_direct_pytorch_prefill(kv, direct, context_ids) -> None:
    shape = direct.shape
    assert kv.msg.prefill.num_tokens == 1000 and kv.msg.prefill.num_layers == shape.num_layers
    names = [t.name for t in kv.msg.tensors]
    assert names == [f"{k}_{i}" for i in range(shape.num_layers) for k in ("key", "value")]
    got = kv.tensors()
    with torch.no_grad():
        cache = direct.model(input_ids=torch.tensor([context_ids]), use_cache=True).past_key_values
    for i, layer in enumerate(cache.layers):
        for name, expected in ((f"key_{i}", layer.keys), (f"value_{i}", layer.values)):
            t = got[name]
            assert list(t.shape) == [1, shape.num_kv_heads, 1000, shape.head_dim]
            assert t.dtype == torch.float32
            torch.testing.assert_close(t, expected, rtol=1e-5, atol=1e-5)


def test_prefill_returns_the_requested_dtype(worker, kv) -> None:
    reply = worker.call("prefill", pb.PrefillRequest(input_ids=list(range(10, 60)), dtype=pb.DTYPE_BF16))
    got = reply.tensors()
    assert all(t.dtype == torch.bfloat16 for t in got.values())
    full = worker.call("prefill", pb.PrefillRequest(input_ids=list(range(10, 60)))).tensors()
    assert torch.equal(got["key_2"], full["key_2"].to(torch.bfloat16))


def test_generate_from_the_full_cache_equals_model_generate(worker, kv, direct, context_ids) -> None:
    question = [72, 101, 121, 63, 10]
    tensors = list(kv.tensors().items())
    reply = worker.call("generate", pb.GenerateRequest(question_ids=question, original_length=1000, max_new_tokens=20), tensors=tensors)
    assert reply.kind == "generate", reply.msg
    with torch.no_grad():
        ref = direct.model.generate(torch.tensor([context_ids + question]), do_sample=False, max_new_tokens=20)
    expected = ref[0, 1005:].tolist()
    if direct.config.eos_token_id in expected:
        expected = expected[: expected.index(direct.config.eos_token_id)]
    assert list(reply.msg.generate.token_ids) == expected
    assert len(expected) > 0 and len(set(expected)) > 1  # a real answer, not one repeated id
    assert reply.msg.generate.text == direct.tokenizer.decode(expected, skip_special_tokens=True)
    # Same cache, same question, text form of the question: same answer (nothing leaks across requests).
    again = worker.call("generate", pb.GenerateRequest(question="Hey?\n", max_new_tokens=20), tensors=tensors)
    assert list(again.msg.generate.token_ids) == expected


def test_tokenize_matches_the_tokenizer(worker, direct) -> None:
    text = "Paris is the capital of France. Ünïcödé ✓"
    for special in (False, True):
        reply = worker.call("tokenize", pb.TokenizeRequest(text=text, add_special_tokens=special))
        assert list(reply.msg.tokenize.ids) == direct.tokenizer(text, add_special_tokens=special)["input_ids"]


def test_deep_health_runs_a_forward_pass(worker) -> None:
    h = worker.call("health", pb.HealthRequest(deep=True)).msg.health
    assert h.ok and h.status == "ok" and h.probe_ms > 0


def test_invalid_generate_requests_get_typed_errors(worker, kv) -> None:
    tensors = list(kv.tensors().items())
    cases = [
        (pb.GenerateRequest(question_ids=[1, 2]), tensors[:-2], "missing ['key_3', 'value_3']"),
        (pb.GenerateRequest(question_ids=[1, 2]), [(n, t[:, :1]) if n == "key_0" else (n, t) for n, t in tensors], "expected [1, 2, T, 16]"),
        (pb.GenerateRequest(question_ids=[1, 2], original_length=10), tensors, "shorter than the cache"),
        (pb.GenerateRequest(question_ids=[1, 999]), tensors, "outside the vocabulary"),
        (pb.GenerateRequest(question=""), tensors, "question is empty"),
        (pb.GenerateRequest(question_ids=[1], max_new_tokens=100000), tensors, "exceeds 4096"),
        (pb.GenerateRequest(question_ids=[1]), [(n, t.to(torch.int32)) for n, t in tensors], "must be a float tensor"),
    ]
    for body, ts, needle in cases:
        err = error_of(worker.call("generate", body, tensors=ts))
        assert err.code == pb.ERROR_CODE_INVALID_ARGUMENT, err
        assert needle in err.message
    err = error_of(worker.call("prefill", pb.PrefillRequest(context="")))
    assert err.code == pb.ERROR_CODE_INVALID_ARGUMENT
    err = error_of(worker.call("prefill", pb.PrefillRequest(input_ids=[1, 2], dtype=pb.DTYPE_I32)))
    assert err.code == pb.ERROR_CODE_INVALID_ARGUMENT


def long_generate(worker, kv, **kw) -> str:
    return worker.send("generate", pb.GenerateRequest(question_ids=[1, 2, 3], max_new_tokens=4000), tensors=list(kv.tensors().items()), **kw)


def test_cancel_stops_a_running_request_and_is_idempotent(worker, kv) -> None:
    rid = long_generate(worker, kv)
    # While it runs: heartbeats name it, cheap health is answered at once, more work is refused.
    busy = None
    while busy is None:
        r = worker.recv(10, skip_heartbeats=False)
        assert r.kind == "heartbeat", r.msg
        if r.msg.heartbeat.busy_request_id == rid:
            busy = r.msg.heartbeat
    assert busy.inflight == 1
    health = worker.call("health").msg.health
    assert health.ok and health.inflight == 1
    err = error_of(worker.call("tokenize", pb.TokenizeRequest(text="x")))
    assert err.code == pb.ERROR_CODE_OVERLOADED and err.retryable

    worker.send("cancel", pb.CancelRequest(target_request_id=rid))
    worker.send("cancel", pb.CancelRequest(target_request_id=rid))
    err = error_of(worker.recv(30))
    assert err.code == pb.ERROR_CODE_CANCELLED and err.request_id == rid
    worker.send("cancel", pb.CancelRequest(target_request_id=rid))  # after it finished: ignored
    assert worker.call("health").kind == "health"
    assert worker.call("tokenize", pb.TokenizeRequest(text="ok")).kind == "tokenize"


def test_deadlines(worker, kv) -> None:
    past = int(time.time() * 1000) - 1
    err = error_of(worker.call("prefill", pb.PrefillRequest(input_ids=[1, 2, 3]), deadline_unix_ms=past))
    assert err.code == pb.ERROR_CODE_DEADLINE_EXCEEDED

    rid = long_generate(worker, kv, deadline_unix_ms=int(time.time() * 1000) + 300)
    err = error_of(worker.recv(30))
    assert err.code == pb.ERROR_CODE_DEADLINE_EXCEEDED and err.request_id == rid
    assert worker.call("health").kind == "health"

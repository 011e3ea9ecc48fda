"""The wire protocol against a real worker subprocess (`--model none`) over a real ROUTER."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
import torch
import zmq

from condense_worker.gen.condense.v1 import worker_pb2 as pb
from condense_worker.tensors import encode_files, raw_bytes

PY_DIR = Path(__file__).resolve().parents[1]

DTYPES = [torch.float32, torch.float16, torch.bfloat16, torch.int8, torch.int32, torch.int64, torch.uint8]


@pytest.fixture(scope="module")
def worker(module_router):
    return module_router.spawn("none", "--heartbeat-ms", "100", worker_id="proto-w")


def sample(dtype: torch.dtype, shape: list[int]) -> torch.Tensor:
    if dtype.is_floating_point:
        return torch.randn(shape).to(dtype)
    return torch.randint(-100 if dtype != torch.uint8 else 0, 100, shape).to(dtype)


def same_bits(a: torch.Tensor, b: torch.Tensor) -> bool:
    return a.dtype == b.dtype and list(a.shape) == list(b.shape) and bytes(raw_bytes(a)) == bytes(raw_bytes(b))


def error_of(reply) -> pb.Error:
    assert reply.kind == "error", f"expected an error, got {reply.msg}"
    return reply.msg.error


def test_hello_announces_the_worker(worker) -> None:
    h = worker.hello
    assert h.protocol_version == pb.PROTOCOL_VERSION_CURRENT
    assert h.worker_id == "proto-w"
    assert h.model == "none" and h.model_id == ""
    assert h.pid == worker.proc.pid
    assert h.heartbeat_ms == 100 and h.max_inflight == 1
    caps = list(h.capabilities)
    assert caps[:2] == ["health", "echo"]
    assert not {"prefill", "generate", "tokenize"} & set(caps)  # they need a model; this worker has none


def test_heartbeats_arrive_on_time(worker) -> None:
    beats = []
    end = time.monotonic() + 5
    while len(beats) < 3 and time.monotonic() < end:
        r = worker.recv(2, skip_heartbeats=False)
        if r.kind == "heartbeat":
            beats.append(r.msg.heartbeat.unix_ms)
    assert len(beats) == 3
    assert all(b > 0 for b in beats) and beats == sorted(beats)


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_echo_round_trips_every_dtype_and_shape_edge(worker, dtype: torch.dtype) -> None:
    named = [
        ("scalar", sample(dtype, [])),
        ("empty", sample(dtype, [0])),
        ("empty_mid", sample(dtype, [4, 0, 3])),
        ("one", sample(dtype, [1])),
        ("kv", sample(dtype, [1, 2, 33, 16])),
    ]
    reply = worker.call("echo", tensors=named)
    assert reply.kind == "echo"
    assert [t.name for t in reply.msg.tensors] == [n for n, _ in named]
    back = reply.tensors()
    for name, t in named:
        assert same_bits(back[name], t), name


def test_echo_round_trips_a_large_tensor(worker) -> None:
    t = torch.randn(4, 1024, 1024).to(torch.bfloat16)  # 8 MiB
    back = worker.call("echo", tensors=[("big", t)]).tensors()["big"]
    assert torch.equal(back.view(torch.int16), t.view(torch.int16))


def test_echo_file_refs_in_and_out(worker, tmp_path) -> None:
    named = [("a", sample(torch.float16, [3, 7])), ("b", sample(torch.int64, [5]))]
    enc = encode_files(named, str(tmp_path), "in")
    kept = encode_files([("c", sample(torch.uint8, [9]))], str(tmp_path), "kept")
    kept.described[0].file.keep = True
    described = [*enc.described, *kept.described]
    reply = worker.call("echo", pb.EchoRequest(reply_as_file=True, file_dir=str(tmp_path)), described=described, frames=[])
    assert reply.kind == "echo"
    assert all(t.WhichOneof("location") == "file" for t in reply.msg.tensors)
    back = reply.tensors()
    for name, t in named:
        assert same_bits(back[name], t)
    assert not os.path.exists(enc.files[0]), "the worker owns (deletes) request files without keep"
    assert os.path.exists(kept.files[0])
    # The same file-borne request answered with frames.
    enc2 = encode_files(named, str(tmp_path), "in2")
    reply = worker.call("echo", described=enc2.described, frames=[])
    assert all(t.WhichOneof("location") == "frame" for t in reply.msg.tensors)
    assert same_bits(reply.tensors()["a"], named[0][1])


def test_garbage_and_mismatches_get_typed_errors_and_the_worker_keeps_serving(worker) -> None:
    worker.send_raw([b"\xff\xfe not a protobuf \x00\x01"])
    err = error_of(worker.recv())
    assert err.code == pb.ERROR_CODE_MALFORMED and err.request_id == ""

    rid = worker.send("health", version=pb.PROTOCOL_VERSION_UNSPECIFIED, request_id="old")
    err = error_of(worker.recv())
    assert err.code == pb.ERROR_CODE_UNSUPPORTED_VERSION and err.request_id == rid
    assert "protocol_version 0" in err.message

    worker.send_raw([pb.ToWorker(protocol_version=pb.PROTOCOL_VERSION_CURRENT, request_id="nobody").SerializeToString()])
    err = error_of(worker.recv())
    assert err.code == pb.ERROR_CODE_UNKNOWN_MESSAGE and err.request_id == "nobody"

    cases = [
        ([pb.Tensor(name="a", dtype=pb.DTYPE_F32, shape=[4], frame=0)], [b"\0" * 15], "needs 16 bytes, frame has 15"),
        ([pb.Tensor(name="a", dtype=pb.DTYPE_F32, shape=[1], frame=0)], [b"\0" * 4, b"extra"], "2 frames follow"),
        ([pb.Tensor(name="a", dtype=pb.DTYPE_F32, shape=[1], frame=3)], [b"\0" * 4], "names frame 3"),
        ([pb.Tensor(name="a", dtype=42, shape=[1], frame=0)], [b"\0" * 4], "unsupported dtype"),
        ([], [b"\0" * 4], "1 frames follow the header but 0"),
    ]
    for described, frames, needle in cases:
        rid = worker.send("echo", described=described, frames=frames)
        err = error_of(worker.recv())
        assert err.code == pb.ERROR_CODE_MALFORMED and err.request_id == rid
        assert needle in err.message

    rid = worker.send("echo", described=[pb.Tensor(name="f", dtype=pb.DTYPE_U8, shape=[1], file=pb.FileRef(path="/nonexistent/x", length=1))], frames=[])
    err = error_of(worker.recv())
    assert err.code == pb.ERROR_CODE_NOT_FOUND and err.request_id == rid

    for kind in ("prefill", "generate", "tokenize"):
        err = error_of(worker.call(kind))
        assert err.code == pb.ERROR_CODE_UNSUPPORTED_MODEL

    err = error_of(worker.call("compress"))  # no handler registered in this worker for compress
    assert err.code in (pb.ERROR_CODE_UNKNOWN_MESSAGE, pb.ERROR_CODE_UNSUPPORTED_MODEL)

    err = error_of(worker.call("echo", pb.EchoRequest(reply_as_file=True)))
    assert err.code == pb.ERROR_CODE_INVALID_ARGUMENT

    # Still alive and correct after all of that.
    assert worker.call("health").msg.health.ok
    t = torch.arange(5, dtype=torch.int32)
    assert torch.equal(worker.call("echo", tensors=[("t", t)]).tensors()["t"], t)
    assert worker.proc.poll() is None


def test_cancel_of_an_unknown_id_is_ignored(worker) -> None:
    worker.send("cancel", pb.CancelRequest(target_request_id="never-sent"))
    worker.send("cancel", pb.CancelRequest(target_request_id="never-sent"))
    reply = worker.call("health")  # the next reply is the health answer: cancel has no reply of its own
    assert reply.kind == "health"


def test_deep_health_without_a_model(worker) -> None:
    reply = worker.call("health", pb.HealthRequest(deep=True))
    assert reply.msg.health.ok and "no model" in reply.msg.health.status


def test_stdout_is_json_lines_only(worker) -> None:
    import json

    lines = worker.stdout_lines()
    assert lines, "the worker logs at least its start-up"
    for line in lines:
        entry = json.loads(line)
        assert entry["worker_id"] == "proto-w" and entry["level"] in ("debug", "info", "warn", "error")
    assert any(json.loads(l)["msg"] == "ready" for l in lines)


def _plain_router(tmp_path, key: str):
    """A ROUTER that admits only PLAIN connections whose password is `key` (as the orchestrator does)."""
    from zmq.auth.thread import ThreadAuthenticator

    ctx = zmq.Context()
    auth = ThreadAuthenticator(ctx)
    auth.start()
    auth.configure_plain(domain="condense", passwords={"condense-worker": key})
    sock = ctx.socket(zmq.ROUTER)
    sock.setsockopt(zmq.LINGER, 0)
    sock.plain_server = True
    sock.zap_domain = b"condense"
    endpoint = f"ipc://{tempfile.mkdtemp(prefix='cw-')}/plain.sock"
    sock.bind(endpoint)
    return ctx, auth, sock, endpoint


def _spawn(endpoint: str, worker_id: str, env: dict, *extra: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "condense_worker", "--connect", endpoint, "--model", "none", "--worker-id", worker_id, *extra],
        stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=PY_DIR, env=env,
    )


def _first_hello(sock, timeout_s: float) -> pb.Hello | None:
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        if sock.poll(100):
            _, header, *_ = sock.recv_multipart()
            msg = pb.FromWorker()
            msg.ParseFromString(header)
            if msg.WhichOneof("body") == "hello":
                return msg.hello
    return None


def test_the_pool_key_authenticates_the_connection_and_travels_in_hello(tmp_path) -> None:
    key = "env-key-0123456789abcdef"
    ctx, auth, sock, endpoint = _plain_router(tmp_path, key)
    env = {k: v for k, v in os.environ.items() if k != "CONDENSE_WORKER_KEY"} | {"OMP_NUM_THREADS": "1"}
    procs = []
    try:
        procs.append(_spawn(endpoint, "key-env", env | {"CONDENSE_WORKER_KEY": key}))
        hello = _first_hello(sock, 60)
        assert hello is not None and hello.worker_id == "key-env" and hello.pool_key == key
        key_file = tmp_path / "key"
        key_file.write_text(f"{key}\n")
        procs.append(_spawn(endpoint, "key-file", env | {"CONDENSE_WORKER_KEY": "not-this-one"}, "--key-file", str(key_file)))
        hello = _first_hello(sock, 60)
        assert hello is not None and hello.worker_id == "key-file" and hello.pool_key == key  # the file wins
        # A wrong key never completes the handshake: not even its Hello arrives.
        procs.append(_spawn(endpoint, "key-wrong", env | {"CONDENSE_WORKER_KEY": "wrong-key-0123456789abcdef"}))
        assert _first_hello(sock, 15) is None
        # Refused, and then the orchestrator is gone: the worker must still notice stdin EOF and exit
        # (a blocking send with no connection once hung it there, deaf to SIGTERM too).
        sock.close()
        auth.stop()
        time.sleep(1)
        procs[-1].stdin.close()
        assert procs[-1].wait(15) == 0
    finally:
        for p in procs:
            p.kill()
            p.wait(5)
        sock.close()
        auth.stop()
        ctx.term()


def test_hello_is_sent_again_after_a_reconnect(tcp_router) -> None:
    # The orchestrator admits a new connection only with the pool key: a worker that reconnects
    # (its old connection was dropped, e.g. while it was paused) must introduce itself again.
    w = tcp_router.spawn("none", "--heartbeat-ms", "100", worker_id="re-w")
    assert w.hello is not None
    old = tcp_router.sock
    endpoint = tcp_router.endpoint
    old.close(linger=0)
    time.sleep(0.3)
    tcp_router.sock = tcp_router.ctx.socket(zmq.ROUTER)
    tcp_router.sock.setsockopt(zmq.LINGER, 0)
    tcp_router.sock.bind(endpoint)
    tcp_router.pending.clear()
    assert w.recv(15).kind == "hello"

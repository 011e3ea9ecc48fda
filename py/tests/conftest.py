"""Fixtures that drive real worker subprocesses over a real ZeroMQ ROUTER bound by the test."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any, Sequence

import pytest
import torch
import zmq

from condense_worker.gen.condense.v1 import worker_pb2 as pb
from condense_worker.tensors import encode_frames, wire_dtype

PY_DIR = Path(__file__).resolve().parents[1]


class Reply:
    def __init__(self, msg: pb.FromWorker, frames: list[bytes]) -> None:
        self.msg = msg
        self.frames = frames
        self.kind = msg.WhichOneof("body")

    def tensors(self) -> dict[str, torch.Tensor]:
        """Decode reply tensors (frames or FileRefs) into fresh tensors."""
        out = {}
        for t in self.msg.tensors:
            dtype = {v: k for k, v in _TORCH_BY_WIRE.items()}[t.dtype]
            if t.WhichOneof("location") == "frame":
                data = self.frames[t.frame]
            else:
                with open(t.file.path, "rb") as f:
                    f.seek(t.file.offset)
                    data = f.read(t.file.length)
            out[t.name] = _from_bytes(data, dtype, list(t.shape))
        return out


_TORCH_BY_WIRE = {dt: wire_dtype(dt) for dt in (torch.float32, torch.float16, torch.bfloat16, torch.int8, torch.int32, torch.int64, torch.uint8)}


def _from_bytes(data: bytes, dtype: torch.dtype, shape: list[int]) -> torch.Tensor:
    if len(data) == 0:
        return torch.empty(shape, dtype=dtype)
    return torch.frombuffer(bytearray(data), dtype=dtype).reshape(shape)


class WorkerProc:
    """One `python -m condense_worker` subprocess connected to this test's ROUTER."""

    def __init__(self, router: "Router", model: str, worker_id: str, extra: Sequence[str], log_dir: Path) -> None:
        self.router = router
        self.worker_id = worker_id
        self.stdout_path = log_dir / f"{worker_id}.stdout"
        self.stderr_path = log_dir / f"{worker_id}.stderr"
        env = {**os.environ, "PYTHONUNBUFFERED": "1", "OMP_NUM_THREADS": "1"}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "condense_worker", "--connect", router.endpoint, "--model", model, "--worker-id", worker_id, *extra],
            stdin=subprocess.PIPE,
            stdout=open(self.stdout_path, "wb"),
            stderr=open(self.stderr_path, "wb"),
            cwd=PY_DIR,
            env=env,
        )
        self.hello: pb.Hello | None = None

    def wait_hello(self, timeout: float = 60) -> pb.Hello:
        reply = self.router.recv(self.worker_id, timeout, skip_heartbeats=True)
        assert reply.kind == "hello", f"expected hello, got {reply.msg}"
        self.hello = reply.msg.hello
        return self.hello

    def send(self, kind: str, body: Any = None, *, request_id: str | None = None, tensors: Sequence[tuple[str, torch.Tensor]] = (),
             deadline_unix_ms: int = 0, version: int = pb.PROTOCOL_VERSION_CURRENT, described: Sequence[pb.Tensor] | None = None,
             frames: Sequence[bytes] | None = None) -> str:
        rid = request_id if request_id is not None else uuid.uuid4().hex[:12]
        msg = pb.ToWorker(protocol_version=version, request_id=rid, deadline_unix_ms=deadline_unix_ms)
        enc = encode_frames(tensors)
        msg.tensors.extend(described if described is not None else enc.described)
        getattr(msg, kind).CopyFrom(body if body is not None else getattr(pb, _REQUEST_TYPES[kind])())
        self.send_raw([msg.SerializeToString(), *(frames if frames is not None else [bytes(f) for f in enc.frames])])
        return rid

    def send_raw(self, frames: Sequence[bytes]) -> None:
        self.router.sock.send_multipart([self.worker_id.encode(), *frames])

    def recv(self, timeout: float = 30, skip_heartbeats: bool = True) -> Reply:
        return self.router.recv(self.worker_id, timeout, skip_heartbeats)

    def call(self, kind: str, body: Any = None, timeout: float = 60, **kw: Any) -> Reply:
        rid = self.send(kind, body, **kw)
        reply = self.recv(timeout)
        assert reply.msg.request_id == rid, f"reply for {reply.msg.request_id!r}, expected {rid!r}: {reply.msg}"
        return reply

    def stdout_lines(self) -> list[str]:
        return self.stdout_path.read_text().splitlines()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.stdin.close()  # EOF: the worker exits on its own
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


_REQUEST_TYPES = {
    "health": "HealthRequest", "tokenize": "TokenizeRequest", "prefill": "PrefillRequest", "generate": "GenerateRequest",
    "compress": "CompressRequest", "evaluate": "EvaluateRequest", "train": "TrainRequest", "shutdown": "ShutdownRequest",
    "cancel": "CancelRequest", "echo": "EchoRequest",
}


class Router:
    """The orchestrator side: a ROUTER socket bound on ipc:// in a temporary directory."""

    def __init__(self, directory: Path, tcp: bool = False) -> None:
        self.ctx = zmq.Context()
        self.sock = self.ctx.socket(zmq.ROUTER)
        self.sock.setsockopt(zmq.LINGER, 0)
        # ipc:// paths are limited to ~107 bytes: keep the socket in a short directory.
        self.sock_dir = tempfile.mkdtemp(prefix="cw-")
        if tcp:
            port = self.sock.bind_to_random_port("tcp://127.0.0.1")
            self.endpoint = f"tcp://127.0.0.1:{port}"
        else:
            self.endpoint = f"ipc://{self.sock_dir}/router.sock"
            self.sock.bind(self.endpoint)
        self.pending: dict[str, list[Reply]] = {}
        self.workers: list[WorkerProc] = []
        self.dir = directory

    def spawn(self, model: str, *extra: str, worker_id: str | None = None, wait: bool = True) -> WorkerProc:
        w = WorkerProc(self, model, worker_id or f"t-{uuid.uuid4().hex[:6]}", extra, self.dir)
        self.workers.append(w)
        if wait:
            w.wait_hello()
        return w

    def recv(self, worker_id: str, timeout: float, skip_heartbeats: bool = True) -> Reply:
        end = time.monotonic() + timeout
        queue = self.pending.setdefault(worker_id, [])
        while True:
            while queue:
                r = queue.pop(0)
                if not (skip_heartbeats and r.kind == "heartbeat"):
                    return r
            left = end - time.monotonic()
            if left <= 0 or not self.sock.poll(left * 1000):
                raise TimeoutError(f"no reply from {worker_id} within {timeout} s")
            ident, header, *frames = self.sock.recv_multipart()
            msg = pb.FromWorker()
            msg.ParseFromString(header)
            self.pending.setdefault(ident.decode(), []).append(Reply(msg, frames))

    def close(self) -> None:
        for w in self.workers:
            w.stop()
        self.sock.close()
        self.ctx.term()
        shutil.rmtree(self.sock_dir, ignore_errors=True)


@pytest.fixture
def router(tmp_path: Path):
    r = Router(tmp_path)
    yield r
    r.close()


@pytest.fixture
def tcp_router(tmp_path: Path):
    r = Router(tmp_path, tcp=True)
    yield r
    r.close()


@pytest.fixture(scope="module")
def module_router(tmp_path_factory: pytest.TempPathFactory):
    r = Router(tmp_path_factory.mktemp("router"))
    yield r
    r.close()

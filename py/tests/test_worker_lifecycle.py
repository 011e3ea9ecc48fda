"""Worker process lifecycle: stdin EOF, Shutdown, start-up failure reported as WorkerDead."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import torch

from condense_worker.gen.condense.v1 import worker_pb2 as pb


def test_stdin_eof_makes_the_worker_exit(router) -> None:
    w = router.spawn("none")
    assert w.call("health").kind == "health"
    w.proc.stdin.close()
    assert w.proc.wait(15) == 0
    assert any("stdin reached EOF" in json.loads(l)["msg"] for l in w.stdout_lines())


def test_shutdown_is_answered_then_the_worker_exits(router) -> None:
    w = router.spawn("none")
    reply = w.call("shutdown", pb.ShutdownRequest(reason="test"))
    assert reply.kind == "shutdown"
    assert w.proc.wait(15) == 0


def test_a_model_that_cannot_load_is_reported_as_worker_dead(router) -> None:
    w = router.spawn("tiny:nope", wait=False)
    reply = w.recv(60)
    assert reply.kind == "dead"
    assert "tiny:nope" in reply.msg.dead.cause and "unknown tiny model" in reply.msg.dead.cause
    assert "Traceback" in reply.msg.dead.traceback
    assert w.proc.wait(15) == 1


@pytest.mark.parametrize(
    "args, needle",
    [
        (["--connect", "http://x", "--model", "none"], "expected ipc://PATH or tcp://HOST:PORT"),
        (["--connect", "ipc:///tmp/x", "--model", "none", "--heartbeat-ms", "0"], "must be a positive integer"),
        (["--connect", "ipc:///tmp/x", "--model", "none", "--dtype", "float64"], "invalid choice"),
    ],
)
def test_bad_arguments_exit_2_with_a_clear_message(args, needle) -> None:
    proc = subprocess.run([sys.executable, "-m", "condense_worker", *args], capture_output=True, text=True, timeout=30)
    assert proc.returncode == 2
    assert needle in proc.stderr
    assert proc.stdout == ""


def test_a_worker_connects_over_tcp_and_stops_cleanly_on_sigterm(tcp_router) -> None:
    """Remote GPU hosts reach the same ROUTER over tcp://; nothing else changes."""
    w = tcp_router.spawn("none", worker_id="remote-1")
    assert w.hello.worker_id == "remote-1"
    t = torch.arange(1 << 20, dtype=torch.float32)  # 4 MiB
    assert torch.equal(w.call("echo", tensors=[("t", t)]).tensors()["t"], t)
    w.proc.terminate()
    assert w.proc.wait(15) == 0
    assert any(json.loads(l)["msg"] == "stopping: SIGTERM" for l in w.stdout_lines())

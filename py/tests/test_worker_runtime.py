"""runtime.Worker in process with a recording transport: how handler outcomes become replies."""

from __future__ import annotations

import pytest
import torch

from condense_worker import handlers as registry
from condense_worker.errors import InvalidArgument
from condense_worker.gen.condense.v1 import worker_pb2 as pb
from condense_worker.handlers import HandlerSpec, Reply, handler, load_handlers
from condense_worker.logs import Logger
from condense_worker.runtime import Worker, WorkerOptions


class RecordingTransport:
    def __init__(self) -> None:
        self.sent: list[tuple[pb.FromWorker, list]] = []
        self.stopped = ""

    def send(self, header, frames=()) -> None:
        self.sent.append((header, list(frames)))

    send_now = send

    def flush_outbox(self) -> None:
        pass

    def stop(self, reason: str) -> None:
        self.stopped = reason


class FakeFrame:
    def __init__(self, data: bytes) -> None:
        self.bytes = data
        self.buffer = memoryview(data)


@pytest.fixture
def worker():
    load_handlers()
    t = RecordingTransport()
    return Worker(t, None, WorkerOptions("rt-w", max_inflight=2), Logger(worker_id="rt-w"), "none")


def dispatch(worker: Worker, kind: str, body, rid: str = "r1") -> list[pb.FromWorker]:
    msg = pb.ToWorker(protocol_version=pb.PROTOCOL_VERSION_CURRENT, request_id=rid)
    getattr(msg, kind).CopyFrom(body)
    start = len(worker.transport.sent)
    worker.on_message([FakeFrame(msg.SerializeToString())])
    while not worker._jobs.empty():
        worker._run(worker._jobs.get())
    return [h for h, _ in worker.transport.sent[start:]]


def use_handler(monkeypatch, kind: str, fn, **kw) -> None:
    monkeypatch.setitem(registry.HANDLERS, kind, HandlerSpec(kind, fn, needs_model=False, **kw))


def test_an_unexpected_exception_becomes_internal_and_the_worker_goes_on(worker, monkeypatch) -> None:
    def boom(ctx, req):
        raise RuntimeError("kaboom")

    use_handler(monkeypatch, "echo", boom)
    [reply] = dispatch(worker, "echo", pb.EchoRequest())
    assert reply.error.code == pb.ERROR_CODE_INTERNAL and "kaboom" in reply.error.message
    assert reply.request_id == "r1" and reply.error.request_id == "r1"
    assert worker.transport.stopped == "" and worker.inflight_count() == 0
    [ok] = dispatch(worker, "health", pb.HealthRequest(), rid="r2")
    assert ok.health.ok


def test_typed_errors_and_out_of_memory_keep_their_codes(worker, monkeypatch) -> None:
    def invalid(ctx, req):
        raise InvalidArgument("ratio must be in (0, 1)")

    def oom(ctx, req):
        raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")

    use_handler(monkeypatch, "echo", invalid)
    [r] = dispatch(worker, "echo", pb.EchoRequest())
    assert (r.error.code, r.error.message, r.error.retryable) == (pb.ERROR_CODE_INVALID_ARGUMENT, "ratio must be in (0, 1)", False)
    use_handler(monkeypatch, "echo", oom)
    [r] = dispatch(worker, "echo", pb.EchoRequest())
    assert r.error.code == pb.ERROR_CODE_OUT_OF_MEMORY and r.error.retryable


def test_a_device_failure_answers_then_reports_worker_dead(worker, monkeypatch) -> None:
    def broken_gpu(ctx, req):
        raise RuntimeError("CUDA error: an illegal memory access was encountered")

    use_handler(monkeypatch, "echo", broken_gpu)
    replies = dispatch(worker, "echo", pb.EchoRequest())
    assert [r.WhichOneof("body") for r in replies] == ["error", "dead"]
    assert "illegal memory access" in replies[1].dead.cause and "Traceback" in replies[1].dead.traceback
    assert worker.transport.stopped and worker.exit_code == 1


def test_streamed_replies_come_before_the_final_one(worker, monkeypatch) -> None:
    def train(ctx, req):
        for step in (1, 2):
            ctx.check()
            ctx.emit(pb.TrainProgress(step=step, max_steps=3, loss=1.0 / step))
        return Reply(pb.TrainProgress(step=3, max_steps=3, final=True), tensors=[("w", torch.ones(2))])

    use_handler(monkeypatch, "train", train)
    replies = dispatch(worker, "train", pb.TrainRequest(max_steps=3))
    assert [r.train_progress.step for r in replies] == [1, 2, 3]
    assert all(r.request_id == "r1" for r in replies)
    assert [r.train_progress.final for r in replies] == [False, False, True]
    assert replies[2].tensors[0].name == "w" and replies[2].tensors[0].dtype == pb.DTYPE_F32


def test_a_handler_returning_the_wrong_type_is_an_internal_error(worker, monkeypatch) -> None:
    use_handler(monkeypatch, "echo", lambda ctx, req: pb.EchoReply())
    [r] = dispatch(worker, "echo", pb.EchoRequest())
    assert r.error.code == pb.ERROR_CODE_INTERNAL and "expected Reply" in r.error.message
    use_handler(monkeypatch, "echo", lambda ctx, req: Reply(pb.ToWorker()))
    [r] = dispatch(worker, "echo", pb.EchoRequest())
    assert r.error.code == pb.ERROR_CODE_INTERNAL and "not a FromWorker body" in r.error.message


def test_cancel_before_the_job_runs_and_duplicate_ids(worker, monkeypatch) -> None:
    use_handler(monkeypatch, "echo", lambda ctx, req: Reply(pb.EchoReply()))
    msg = pb.ToWorker(protocol_version=pb.PROTOCOL_VERSION_CURRENT, request_id="q", echo=pb.EchoRequest())
    worker.on_message([FakeFrame(msg.SerializeToString())])
    worker.on_message([FakeFrame(msg.SerializeToString())])  # same id while queued
    dup = worker.transport.sent[-1][0]
    assert dup.error.code == pb.ERROR_CODE_MALFORMED and "already in flight" in dup.error.message
    cancel = pb.ToWorker(protocol_version=pb.PROTOCOL_VERSION_CURRENT, request_id="c", cancel=pb.CancelRequest(target_request_id="q"))
    worker.on_message([FakeFrame(cancel.SerializeToString())])
    worker._run(worker._jobs.get())
    r = worker.transport.sent[-1][0]
    assert r.error.code == pb.ERROR_CODE_CANCELLED and r.request_id == "q"
    assert not worker.is_cancelled("q")  # forgotten once answered: the id may be reused


def test_admission_is_bounded_by_max_inflight(worker, monkeypatch) -> None:
    use_handler(monkeypatch, "echo", lambda ctx, req: Reply(pb.EchoReply()))
    for rid in ("a", "b", "c"):
        msg = pb.ToWorker(protocol_version=pb.PROTOCOL_VERSION_CURRENT, request_id=rid, echo=pb.EchoRequest())
        worker.on_message([FakeFrame(msg.SerializeToString())])
    r = worker.transport.sent[-1][0]
    assert r.request_id == "c" and r.error.code == pb.ERROR_CODE_OVERLOADED and r.error.retryable
    assert worker.heartbeat().inflight == 2


def test_shutdown_cancels_in_flight_work_then_answers(worker, monkeypatch) -> None:
    use_handler(monkeypatch, "echo", lambda ctx, req: Reply(pb.EchoReply()))
    msg = pb.ToWorker(protocol_version=pb.PROTOCOL_VERSION_CURRENT, request_id="w1", echo=pb.EchoRequest())
    worker.on_message([FakeFrame(msg.SerializeToString())])
    down = pb.ToWorker(protocol_version=pb.PROTOCOL_VERSION_CURRENT, request_id="s", shutdown=pb.ShutdownRequest(reason="test"))
    worker.on_message([FakeFrame(down.SerializeToString())])
    worker.idle()
    assert worker.transport.stopped == ""  # waits for the in-flight request to answer
    late = pb.ToWorker(protocol_version=pb.PROTOCOL_VERSION_CURRENT, request_id="late", echo=pb.EchoRequest())
    worker.on_message([FakeFrame(late.SerializeToString())])
    assert worker.transport.sent[-1][0].error.code == pb.ERROR_CODE_OVERLOADED
    worker._run(worker._jobs.get())
    worker.idle()
    kinds = [(h.request_id, h.WhichOneof("body")) for h, _ in worker.transport.sent]
    assert kinds[-2:] == [("w1", "error"), ("s", "shutdown")]
    assert worker.transport.sent[-2][0].error.code == pb.ERROR_CODE_CANCELLED
    assert worker.transport.stopped == "shutdown"


def test_capabilities_in_hello(worker, monkeypatch) -> None:
    monkeypatch.setitem(registry.HANDLERS, "compress", HandlerSpec("compress", lambda c, r: None, capabilities=lambda lm: ["compress:knorm"]))
    use_handler(monkeypatch, "train", lambda c, r: None, capabilities=["train:condenser"])
    caps = list(worker.hello().hello.capabilities)
    assert "compress" not in caps and "compress:knorm" not in caps  # needs a model; this worker has none
    assert caps.index("train:condenser") == caps.index("train") + 1  # the kind, then what it declares


def test_registering_a_kind_twice_is_refused(monkeypatch) -> None:
    monkeypatch.setitem(registry.HANDLERS, "evaluate", HandlerSpec("evaluate", lambda c, r: None))
    with pytest.raises(RuntimeError, match="registered twice"):
        handler("evaluate")(lambda c, r: None)


def test_the_pool_key_is_read_once_and_dropped_from_the_environment(monkeypatch, tmp_path) -> None:
    import os

    from condense_worker.__main__ import read_pool_key

    monkeypatch.setenv("CONDENSE_WORKER_KEY", "secret-from-env-0123456789")
    assert read_pool_key(None) == "secret-from-env-0123456789"
    assert "CONDENSE_WORKER_KEY" not in os.environ  # nothing the worker starts inherits it
    monkeypatch.setenv("CONDENSE_WORKER_KEY", "ignored")
    f = tmp_path / "k"
    f.write_text("  from-file-0123456789  \n")
    assert read_pool_key(str(f)) == "from-file-0123456789"
    assert "CONDENSE_WORKER_KEY" not in os.environ


def test_hello_carries_the_key_and_the_options_repr_does_not(worker) -> None:
    worker.opts.pool_key = "k-0123456789abcdef"
    assert worker.hello().hello.pool_key == "k-0123456789abcdef"
    assert "k-0123456789abcdef" not in repr(worker.opts)

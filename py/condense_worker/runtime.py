"""The worker: admission and dispatch of requests, cancellation, shutdown, fatal-error reporting.

Threads:
- the main thread runs the IO loop (transport.Transport.run) and owns the socket. It decodes
  headers, answers what must never queue behind compute (Cancel, Shutdown, cheap Health, typed
  errors for bad input), and queues everything else;
- `max_inflight` compute threads run handlers and hand replies back through Transport.send;
- a stdin watcher stops the worker when stdin reaches EOF (the parent is gone).

Cancel has no reply of its own: the cancelled request answers Error{CANCELLED} (a cancel for an
unknown or finished id is ignored). Shutdown cancels what is in flight, waits up to
`shutdown_grace_s` for those replies, answers ShutdownReply and exits 0.
"""

from __future__ import annotations

import os
import queue
import sys
import threading
import time
import traceback
from dataclasses import dataclass, field
from typing import Any, Callable

import torch
import zmq
from google.protobuf.message import DecodeError

from . import handlers as registry
from .errors import Internal, Malformed, OutOfMemory, Overloaded, UnknownMessage, UnsupportedModel, UnsupportedVersion, WorkerError
from .gen.condense.v1 import worker_pb2 as pb
from .handlers import Context, Reply, Request
from .logs import Logger
from .models import LoadedModel
from .tensors import decode_tensors, encode_files, encode_frames, file_refs_of, remove_files
from .transport import Transport

CURRENT = pb.PROTOCOL_VERSION_CURRENT

# FromWorker oneof field for each reply message type, e.g. "condense.v1.PrefillReply" -> "prefill".
REPLY_FIELD: dict[str, str] = {
    f.message_type.full_name: f.name for f in pb.FromWorker.DESCRIPTOR.oneofs_by_name["body"].fields
}


@dataclass
class WorkerOptions:
    worker_id: str
    heartbeat_ms: int = 1000
    max_inflight: int = 1
    shutdown_grace_s: float = 5.0
    device: torch.device = field(default_factory=lambda: torch.device("cpu"))
    dtype: torch.dtype = torch.float32
    # Presented in every Hello: the orchestrator admits only workers holding its key.
    pool_key: str = field(default="", repr=False)


@dataclass
class _Job:
    request: Request
    file_refs: list[pb.FileRef] = field(default_factory=list)


class Worker:
    def __init__(self, transport: Transport, loaded: LoadedModel | None, options: WorkerOptions, log: Logger, model_spec: str) -> None:
        self.transport = transport
        self.loaded = loaded
        self.opts = options
        self.log = log
        self.model_spec = model_spec
        self.started = time.monotonic()
        self.handlers = registry.HANDLERS
        self._jobs: "queue.Queue[_Job | None]" = queue.Queue()
        self._lock = threading.Lock()
        self._inflight: dict[str, bool] = {}  # request id -> running (False while queued)
        self._cancelled: set[str] = set()
        self._shutdown_id: str | None = None
        self._shutdown_at = 0.0
        self.exit_code = 0

    # -- messages -------------------------------------------------------------------------------

    def hello(self) -> pb.FromWorker:
        lm = self.loaded
        h = pb.Hello(
            protocol_version=CURRENT,
            worker_id=self.opts.worker_id,
            model=self.model_spec,
            model_id=lm.model_id if lm else "",
            device=str(self.opts.device),
            dtype=_wire_dtype_or_unspecified(self.opts.dtype),
            capabilities=registry.capabilities_for(lm),
            max_inflight=self.opts.max_inflight,
            pid=os.getpid(),
            heartbeat_ms=self.opts.heartbeat_ms,
            pool_key=self.opts.pool_key,
        )
        if lm:
            h.shape.CopyFrom(lm.shape)
        return pb.FromWorker(hello=h)

    def heartbeat(self) -> pb.Heartbeat:
        with self._lock:
            running = [rid for rid, r in self._inflight.items() if r]
            n = len(self._inflight)
        return pb.Heartbeat(unix_ms=int(time.time() * 1000), inflight=n, busy_request_id=running[0] if running else "")

    def _send_error(self, err: WorkerError, request_id: str) -> None:
        self.transport.send_now(pb.FromWorker(request_id=request_id, error=err.to_proto(request_id)))

    # -- IO thread ------------------------------------------------------------------------------

    def on_message(self, frames: list[zmq.Frame]) -> None:
        """Admit one incoming message. Never raises: bad input gets a typed Error reply."""
        rid = ""
        try:
            if not frames:
                raise Malformed("empty message")
            msg = pb.ToWorker()
            try:
                msg.ParseFromString(frames[0].bytes)
            except (DecodeError, RuntimeError, ValueError) as exc:
                raise Malformed(f"header does not decode as ToWorker: {exc}") from None
            rid = msg.request_id
            if msg.protocol_version != CURRENT:
                raise UnsupportedVersion(
                    f"protocol_version {msg.protocol_version} is not supported (this worker speaks {CURRENT})"
                )
            kind = msg.WhichOneof("body")
            if kind is None:
                raise UnknownMessage("message has no body")
            if kind == "cancel":
                self._cancel(msg.cancel.target_request_id)
                return
            if kind == "shutdown":
                self._begin_shutdown(rid, msg.shutdown.reason)
                return
            self._admit(msg, kind, [f.buffer for f in frames[1:]])
        except WorkerError as err:
            self.log.warn(f"rejected message: {err.message}", request_id=rid, code=pb.ErrorCode.Name(err.code))
            self._send_error(err, rid)
        except Exception as exc:  # noqa: BLE001 - a bug here must not kill the worker
            self.log.error(f"admitting message failed: {exc!r}", exc_info=True, request_id=rid)
            self._send_error(Internal(f"admitting message failed: {exc!r}"), rid)

    def _admit(self, msg: pb.ToWorker, kind: str, frames: list[Any]) -> None:
        rid = msg.request_id
        spec = self.handlers.get(kind)
        if spec is None:
            raise UnknownMessage(f"this worker has no handler for {kind!r}")
        if spec.needs_model and self.loaded is None:
            raise UnsupportedModel(f"{kind!r} needs a model and this worker runs --model none")
        if self._shutdown_id is not None:
            raise Overloaded("worker is shutting down")
        body = getattr(msg, kind)
        tensors = decode_tensors(msg.tensors, frames)
        request = Request(rid, kind, body, tensors, msg.deadline_unix_ms)
        refs = file_refs_of(msg.tensors)
        if kind == "health" and not body.deep:
            # Cheap health never queues behind compute (a busy worker still answers it).
            self._run(_Job(request, refs))
            return
        with self._lock:
            if rid in self._inflight:
                raise Malformed(f"request id {rid!r} is already in flight")
            if len(self._inflight) >= self.opts.max_inflight:
                raise Overloaded(f"worker already has {len(self._inflight)} requests in flight (max {self.opts.max_inflight})")
            self._inflight[rid] = False
        self._jobs.put(_Job(request, refs))

    def _cancel(self, target: str) -> None:
        with self._lock:
            if target in self._inflight:
                self._cancelled.add(target)
        self.log.info("cancel", request_id=target)

    def _begin_shutdown(self, rid: str, reason: str) -> None:
        if self._shutdown_id is not None:
            return
        self.log.info(f"shutdown requested: {reason or 'no reason given'}", request_id=rid)
        self._shutdown_id = rid
        self._shutdown_at = time.monotonic()
        with self._lock:
            self._cancelled.update(self._inflight)

    def idle(self) -> None:
        """Called by the IO loop on every turn: finish a shutdown once in-flight work answered."""
        if self._shutdown_id is None:
            return
        with self._lock:
            busy = len(self._inflight)
        if busy and time.monotonic() - self._shutdown_at < self.opts.shutdown_grace_s:
            return
        self.transport.flush_outbox()
        self.transport.send_now(pb.FromWorker(request_id=self._shutdown_id, shutdown=pb.ShutdownReply()))
        self.transport.stop("shutdown")

    # -- compute threads ------------------------------------------------------------------------

    def compute_loop(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                return
            try:
                self._run(job)
            except BaseException as exc:  # noqa: BLE001 - a broken compute thread is fatal
                self.fatal(f"compute thread failed: {exc!r}", traceback.format_exc())
                return

    def _run(self, job: _Job) -> None:
        req = job.request
        log = self.log.bind(request_id=req.id)
        reply: pb.FromWorker
        frames: list[Any] = []
        fatal = fatal_tb = ""
        with self._lock:
            if req.id in self._inflight:
                self._inflight[req.id] = True
        ctx = Context(
            loaded=self.loaded,
            request=req,
            is_cancelled=self.is_cancelled,
            emit=self._emit,
            log=log,
            worker_id=self.opts.worker_id,
            inflight=self.inflight_count,
            device=self.opts.device,
            dtype=self.opts.dtype,
        )
        t0 = time.perf_counter()
        try:
            ctx.check()
            spec = self.handlers[req.kind]
            result = spec.fn(ctx, req)
            reply, frames = self._encode(req.id, result)
            log.debug(f"{req.kind} done", ms=round((time.perf_counter() - t0) * 1000, 2))
        except WorkerError as err:
            log.info(f"{req.kind} failed: {err.message}", code=pb.ErrorCode.Name(err.code))
            reply = pb.FromWorker(request_id=req.id, error=err.to_proto(req.id))
        except torch.OutOfMemoryError as exc:
            log.error(f"{req.kind} ran out of memory: {exc}")
            reply = pb.FromWorker(request_id=req.id, error=OutOfMemory(f"out of memory: {exc}").to_proto(req.id))
        except Exception as exc:  # noqa: BLE001 - reported as INTERNAL, the worker keeps serving
            log.error(f"{req.kind} raised {exc!r}", exc_info=True)
            reply = pb.FromWorker(request_id=req.id, error=Internal(f"{req.kind} failed: {exc!r}").to_proto(req.id))
            if "CUDA error" in str(exc):
                fatal = f"device failure during {req.kind}: {exc}"  # the device state cannot be trusted
                fatal_tb = traceback.format_exc()
        finally:
            remove_files(job.file_refs)
            with self._lock:
                # Leave the in-flight table before the reply goes out, so a follow-up request sent
                # on receipt of this reply is never refused as overloaded.
                self._inflight.pop(req.id, None)
                self._cancelled.discard(req.id)
        if threading.current_thread() is threading.main_thread():
            self.transport.send_now(reply, frames)
        else:
            self.transport.send(reply, frames)
        if fatal:
            self.fatal(fatal, fatal_tb)

    def _encode(self, rid: str, result: Reply) -> tuple[pb.FromWorker, list[Any]]:
        if not isinstance(result, Reply):
            raise Internal(f"handler returned {type(result).__name__}, expected Reply")
        name = REPLY_FIELD.get(result.body.DESCRIPTOR.full_name)
        if name is None:
            raise Internal(f"handler returned {result.body.DESCRIPTOR.full_name}, which is not a FromWorker body")
        enc = encode_files(result.tensors, result.files_dir, rid) if result.files_dir else encode_frames(result.tensors)
        msg = pb.FromWorker(request_id=rid, tensors=enc.described)
        getattr(msg, name).CopyFrom(result.body)
        return msg, enc.frames

    def _emit(self, rid: str, result: Reply) -> None:
        msg, frames = self._encode(rid, result)
        self.transport.send(msg, frames)

    def inflight_count(self) -> int:
        with self._lock:
            return len(self._inflight)

    def is_cancelled(self, rid: str) -> bool:
        with self._lock:
            return rid in self._cancelled

    # -- lifecycle ------------------------------------------------------------------------------

    def _say_hello_again(self) -> None:
        self.log.info("reconnected to the orchestrator; sending Hello again")
        self.transport.send_now(self.hello())

    def fatal(self, cause: str, tb: str = "") -> None:
        """Tell the orchestrator this worker is dying (WorkerDead), then stop the IO loop."""
        self.log.error(f"fatal: {cause}", traceback=tb or None)
        self.exit_code = 1
        self.transport.send(pb.FromWorker(dead=pb.WorkerDead(cause=cause, traceback=tb)))
        self.transport.stop(cause)

    def serve(self) -> int:
        for i in range(self.opts.max_inflight):
            threading.Thread(target=self.compute_loop, name=f"compute-{i}", daemon=True).start()
        hello = self.hello()
        self.transport.send_now(hello)
        self.log.info("ready", capabilities=list(hello.hello.capabilities))
        try:
            self.transport.run(self.on_message, self.heartbeat, self.opts.heartbeat_ms, self.idle, self._say_hello_again)
        except KeyboardInterrupt:
            self.log.info("interrupted")
            return 130
        except Exception as exc:  # noqa: BLE001 - the IO loop itself broke: report and die
            self.exit_code = 1
            tb = traceback.format_exc()
            self.log.error(f"fatal: IO loop failed: {exc!r}", traceback=tb)
            try:
                self.transport.send_now(pb.FromWorker(dead=pb.WorkerDead(cause=f"IO loop failed: {exc!r}", traceback=tb)))
            except Exception:  # noqa: BLE001 - the socket itself may be what broke
                pass
        self.log.info(f"stopping: {self.transport.stop_reason}")
        return self.exit_code


def watch_stdin(on_eof: Callable[[], None]) -> threading.Thread:
    """Call `on_eof` when stdin reaches EOF: the parent that holds the other end is gone."""

    def watch() -> None:
        try:
            while sys.stdin.buffer.read1(65536):
                pass
        except (OSError, ValueError):
            pass
        on_eof()

    thread = threading.Thread(target=watch, name="stdin-watch", daemon=True)
    thread.start()
    return thread


def _wire_dtype_or_unspecified(dtype: torch.dtype) -> int:
    from .tensors import TORCH_TO_DTYPE

    return TORCH_TO_DTYPE.get(dtype, pb.DTYPE_UNSPECIFIED)

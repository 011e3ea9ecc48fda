"""The worker's ZeroMQ DEALER socket and the IO loop that owns it.

pyzmq sockets are not thread-safe, so exactly one thread (the one running `run()`) touches the
socket after start-up. Other threads hand messages to `send()`, which queues them and writes a
byte to a pipe the IO loop polls next to the socket; the loop also sends heartbeats on time while
compute threads are busy.

With a pool key the socket authenticates with ZeroMQ PLAIN (the key as password), so the
orchestrator drops a connection without it during the handshake. A monitor on the socket reports every completed handshake: after a reconnect (the orchestrator
dropped a connection it thought dead, e.g. while this process was paused) the worker says Hello
again, since the orchestrator only admits a new connection that presents the pool key.
"""

from __future__ import annotations

import os
import queue
import threading
import time
from typing import Any, Callable, Sequence

import zmq

from .gen.condense.v1 import worker_pb2 as pb

Outgoing = tuple[pb.FromWorker, Sequence[Any]]
PLAIN_USER = b"condense-worker"


class Transport:
    def __init__(self, endpoint: str, worker_id: str, *, linger_ms: int = 2000, key: str = "") -> None:
        self.ctx = zmq.Context()
        self.sock = self.ctx.socket(zmq.DEALER)
        self.sock.setsockopt(zmq.ROUTING_ID, worker_id.encode())
        if key:
            # The orchestrator admits a connection only if its PLAIN password is the pool key.
            self.sock.plain_username = PLAIN_USER
            self.sock.plain_password = key.encode()
        # Never block the IO thread on a slow reader: a blocked send would stop heartbeats.
        self.sock.setsockopt(zmq.SNDHWM, 0)
        self.sock.setsockopt(zmq.LINGER, linger_ms)
        self._monitor = self.sock.get_monitor_socket(zmq.EVENT_HANDSHAKE_SUCCEEDED)
        self._handshakes = 0
        self.sock.connect(endpoint)
        self._outbox: "queue.SimpleQueue[Outgoing]" = queue.SimpleQueue()
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_r, False)
        self._stop = threading.Event()
        self.stop_reason = ""
        self.dropped = 0  # messages dropped because no connection could take them

    # -- any thread ---------------------------------------------------------------------------

    def send(self, header: pb.FromWorker, frames: Sequence[Any] = ()) -> None:
        self._outbox.put((header, frames))
        self._wake()

    def stop(self, reason: str) -> None:
        if not self._stop.is_set():
            self.stop_reason = reason
            self._stop.set()
        self._wake()

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def _wake(self) -> None:
        try:
            os.write(self._wake_w, b"x")
        except (BlockingIOError, OSError):
            pass  # pipe full (the loop will wake anyway) or already closed

    # -- owning thread ------------------------------------------------------------------------

    def send_now(self, header: pb.FromWorker, frames: Sequence[Any] = ()) -> None:
        """Send from the owning thread (start-up, shutdown, the IO loop itself).

        Never blocks: with no connection (the orchestrator gone, or it refused our handshake) a
        blocking send would wait forever, and the loop would never see stdin EOF or SIGTERM. The
        high-water mark is unlimited, so EAGAIN means there is nobody to send to: the message is dropped.
        """
        header.protocol_version = pb.PROTOCOL_VERSION_CURRENT
        try:
            self.sock.send_multipart([header.SerializeToString(), *frames], flags=zmq.NOBLOCK, copy=False)
        except zmq.Again:
            self.dropped += 1

    def flush_outbox(self) -> None:
        while True:
            try:
                header, frames = self._outbox.get_nowait()
            except queue.Empty:
                return
            self.send_now(header, frames)

    def run(
        self,
        on_message: Callable[[list[zmq.Frame]], None],
        heartbeat: Callable[[], pb.Heartbeat],
        heartbeat_ms: int,
        idle: Callable[[], None] = lambda: None,
        on_reconnect: Callable[[], None] = lambda: None,
    ) -> None:
        """Serve until stop(): receive -> on_message, drain the outbox, heartbeat on time."""
        poller = zmq.Poller()
        poller.register(self.sock, zmq.POLLIN)
        poller.register(self._wake_r, zmq.POLLIN)
        poller.register(self._monitor, zmq.POLLIN)
        period = heartbeat_ms / 1000
        next_beat = time.monotonic() + period
        while not self._stop.is_set():
            timeout = max(0.0, next_beat - time.monotonic())
            events = dict(poller.poll(timeout * 1000))
            if self._wake_r in events:
                try:
                    while os.read(self._wake_r, 4096):
                        pass
                except BlockingIOError:
                    pass
            self.flush_outbox()
            if self._monitor in events:
                while True:
                    try:
                        self._monitor.recv_multipart(zmq.NOBLOCK)
                    except zmq.Again:
                        break
                    self._handshakes += 1
                    if self._handshakes > 1:
                        on_reconnect()  # the first handshake carried the Hello sent at start
            if self.sock in events:
                for _ in range(1000):  # bounded so heartbeats stay on time under a flood
                    try:
                        frames = self.sock.recv_multipart(zmq.NOBLOCK, copy=False)
                    except zmq.Again:
                        break
                    on_message(frames)
                self.flush_outbox()
            now = time.monotonic()
            if now >= next_beat:
                self.send_now(pb.FromWorker(heartbeat=heartbeat()))
                next_beat = max(next_beat + period, now + period / 2)
            idle()
        self.flush_outbox()

    def close(self) -> None:
        try:
            self.sock.disable_monitor()
        except zmq.ZMQError:
            pass
        self._monitor.close(linger=0)
        self.sock.close()  # lingers up to linger_ms so final messages (WorkerDead, replies) leave
        self.ctx.term()
        for fd in (self._wake_r, self._wake_w):
            try:
                os.close(fd)
            except OSError:
                pass

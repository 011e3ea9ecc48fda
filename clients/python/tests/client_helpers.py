"""Helpers of the client tests (imported by name: a module called conftest would clash with py/tests' when
both folders run in one pytest): the test context, a signer (the TypeScript orchestrator's job, done here with
py-sr25519-bindings) and loopback HTTP servers that misbehave on purpose."""
from __future__ import annotations

import hashlib
import http.server
import os
import socketserver
import threading
from pathlib import Path

import pytest

from condense_worker.container import read_container_header, signing_message

CONTEXT = ("Inventory notes. " + " ".join(f"Crate {i} holds {(i * 37) % 101} bolts." for i in range(40))
           + " The vault code is 7215.")
_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def ss58_encode(public_key: bytes, prefix: int = 42) -> str:
    raw = bytes([prefix]) + public_key
    raw += hashlib.blake2b(b"SS58PRE" + raw, digest_size=64).digest()[:2]
    n, out = int.from_bytes(raw, "big"), ""
    while n:
        n, r = divmod(n, 58)
        out = _B58[r] + out
    return "1" * (len(raw) - len(raw.lstrip(b"\0"))) + out


def need_sr25519():
    """The signature tests need py-sr25519-bindings; without it they skip, except under CI where they fail."""
    try:
        import sr25519  # noqa: F401
    except ImportError:
        msg = "py-sr25519-bindings is not installed in this venv (the client's signature dependency)"
        if os.environ.get("CI"):
            pytest.fail(msg)
        pytest.skip(msg)
    import sr25519
    return sr25519


class Signer:
    """An sr25519 hotkey that signs a container in place, as ts/container signContainer does."""

    def __init__(self, seed: bytes):
        self.lib = need_sr25519()
        self.pair = self.lib.pair_from_seed(seed)
        self.address = ss58_encode(self.pair[0])

    def sign(self, path) -> None:
        h = read_container_header(path)
        sig = self.lib.sign(self.pair, signing_message(h.meta.raw, h.tensors)).hex()
        with open(path, "r+b") as f:
            f.seek(h.signature_offset)
            f.write(sig.encode())


class _Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request, client_address):
        pass  # the client hanging up on a refused download is the point of these servers


def serve(handler_fn, host: str = "127.0.0.1"):
    """A loopback HTTP server on an ephemeral port; handler_fn(handler) answers each GET. Returns (server, hits)."""
    hits: list[str] = []

    class H(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self):  # noqa: N802
            hits.append(self.path)
            handler_fn(self)

        def log_message(self, *args):
            pass

    srv = _Server((host, 0), H)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv, hits


def send_file(path):
    data = Path(path).read_bytes()

    def h(req):
        req.send_response(200)
        req.send_header("Content-Length", str(len(data)))
        req.end_headers()
        req.wfile.write(data)
    return h

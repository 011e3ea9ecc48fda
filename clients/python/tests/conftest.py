"""Fixtures for the client tests: the tiny model, containers written by the worker's own writer, a signer
(the TypeScript orchestrator's job, done here with py-sr25519-bindings), and loopback HTTP servers that
misbehave on purpose."""
from __future__ import annotations

import hashlib
import http.server
import os
import socketserver
import sys
import threading
from pathlib import Path

import pytest
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the package under test, from this checkout

from condense_worker.compress import CompressParams, compress  # noqa: E402
from condense_worker.container import read_container_header, signing_message, write_kv_container  # noqa: E402
from condense_worker.models import load_model  # noqa: E402
from condense_worker.tasks.chat import chat_format  # noqa: E402

torch.set_num_threads(1)

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


@pytest.fixture(scope="session")
def tiny():
    return load_model("tiny:llama")


@pytest.fixture(scope="session")
def compressed(tiny):
    """One real knorm compression of CONTEXT by the worker's own code."""
    fmt = chat_format(tiny.tokenizer)
    return compress(tiny.model, tiny.tokenizer, fmt.context(CONTEXT), "knorm", CompressParams(ratio=0.5))


@pytest.fixture
def write(tmp_path, compressed):
    """write(name, hotkey="", dtype="bf16", **meta) -> path of a container written by the worker's writer."""
    def _write(name="c.safetensors", hotkey="", dtype="bf16", layers=None, check_finite=True, **over):
        meta = {"target_model": "condense/tiny-llama", "original_tokens": compressed.original_tokens,
                "algorithm": compressed.algorithm, "params": compressed.params, "context": CONTEXT,
                "miner_hotkey": hotkey}
        meta.update(over)
        return Path(write_kv_container(tmp_path / name, layers or compressed.layers, meta, dtype,
                                       check_finite=check_finite).path)
    return _write


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


@pytest.fixture
def server():
    started = []

    def _start(handler_fn, host="127.0.0.1"):
        srv, hits = serve(handler_fn, host)
        started.append(srv)
        return f"http://{host}:{srv.server_address[1]}", hits

    yield _start
    for s in started:
        s.shutdown()
        s.server_close()


def send_file(path):
    data = Path(path).read_bytes()

    def h(req):
        req.send_response(200)
        req.send_header("Content-Length", str(len(data)))
        req.end_headers()
        req.wfile.write(data)
    return h

"""Fixtures for the client tests: the tiny model, and containers written by the worker's own writer."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the package under test, from this checkout

from client_helpers import CONTEXT, serve  # noqa: E402
from condense_worker.compress import CompressParams, compress  # noqa: E402
from condense_worker.container import write_kv_container  # noqa: E402
from condense_worker.models import load_model  # noqa: E402
from condense_worker.tasks.chat import chat_format  # noqa: E402

torch.set_num_threads(1)


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

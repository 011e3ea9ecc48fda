"""`python -m condense_worker --connect ENDPOINT --model SPEC --device cpu|cuda ...`

Connects a DEALER to the orchestrator's ROUTER, loads the model once, sends Hello, then serves
until Shutdown, stdin EOF (parent gone) or a fatal error (reported as WorkerDead first).
SIGTERM stops it like stdin EOF. Exit codes: 0 normal stop, 1 fatal error, 2 bad arguments,
130 interrupted (SIGINT).

The pool key (presented in Hello) comes from --key-file or the CONDENSE_WORKER_KEY environment
variable, which is removed from the environment at once so nothing this worker starts inherits it.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import sys
import threading
import traceback

ENDPOINT = re.compile(r"^(ipc://.+|tcp://[^:/\s]+:\d+|inproc://.+)$")


def positive(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text}")
    return value


def endpoint(text: str) -> str:
    if not ENDPOINT.match(text):
        raise argparse.ArgumentTypeError(f"expected ipc://PATH or tcp://HOST:PORT, got {text!r}")
    return text


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="condense_worker", description="condense Python worker")
    p.add_argument("--connect", required=True, type=endpoint, help="orchestrator ROUTER endpoint")
    p.add_argument("--model", required=True, help="tiny:llama|tiny:mistral|tiny:qwen2|smollm2|none|PATH.gguf|HF_DIR|HUB_ID")
    p.add_argument("--device", default="cpu", help="cpu, cuda or cuda:N")
    p.add_argument("--dtype", choices=["float32", "bfloat16", "float16"], default=None, help="default: float32 on cpu, bfloat16 on cuda")
    p.add_argument("--worker-id", default=None, help="routing id (default w-<pid>)")
    p.add_argument("--heartbeat-ms", type=positive, default=1000)
    p.add_argument("--max-inflight", type=positive, default=1)
    p.add_argument("--threads", type=positive, default=None,
                   help="torch intra-op threads on CPU (default: torch's choice); set 1 when several workers share few cores")
    p.add_argument("--no-watch-stdin", action="store_true", help="do not exit on stdin EOF (for workers started without a parent pipe)")
    p.add_argument("--key-file", default=None,
                   help="file holding the orchestrator's worker key (default: the CONDENSE_WORKER_KEY environment variable)")
    return p.parse_args(argv)


KEY_ENV = "CONDENSE_WORKER_KEY"


def read_pool_key(key_file: str | None) -> str:
    """The pool key, from the file if given, else the environment; either way the variable is dropped."""
    from_env = os.environ.pop(KEY_ENV, "")
    if key_file:
        with open(key_file, encoding="utf-8") as f:
            return f.read().strip()
    return from_env


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        pool_key = read_pool_key(args.key_file)
    except OSError as exc:
        print(f"condense_worker: cannot read --key-file: {exc}", file=sys.stderr)
        return 2
    from .logs import Logger, claim_stdout

    claim_stdout()
    worker_id = args.worker_id or f"w-{os.getpid()}"
    log = Logger(worker_id=worker_id)
    serving = threading.Event()

    from .runtime import watch_stdin

    transport_box: list = []

    def on_eof() -> None:
        if serving.is_set() and transport_box:
            transport_box[0].stop("stdin reached EOF (parent gone)")
        else:
            log.info("stdin reached EOF before the worker was ready (parent gone); exiting")
            os._exit(0)

    if not args.no_watch_stdin:
        watch_stdin(on_eof)

    def on_sigterm(signum: int, frame: object) -> None:
        if serving.is_set() and transport_box:
            transport_box[0].stop("SIGTERM")  # graceful: the IO loop ends, sockets close
        else:
            os._exit(0)

    signal.signal(signal.SIGTERM, on_sigterm)

    # Connect before the slow imports: the routing id is then ours before anyone reading our command
    # line could claim it, and a start-up failure can be reported as WorkerDead.
    from .gen.condense.v1 import worker_pb2 as pb
    from .transport import Transport

    transport = Transport(args.connect, worker_id, key=pool_key)
    transport_box.append(transport)
    log.info("starting", model=args.model, device=args.device, endpoint=args.connect, pid=os.getpid())
    try:
        # Imports after the stdin watcher (importing torch takes seconds and the parent may die
        # meanwhile) and inside the try, so a broken install is reported as WorkerDead too.
        from .handlers import load_handlers
        from .models import load_model, resolve_device, resolve_dtype
        from .runtime import Worker, WorkerOptions

        device = resolve_device(args.device)
        if args.threads:
            import torch

            # Several workers each using every core oversubscribe the CPU; torch then slows down many-fold.
            torch.set_num_threads(args.threads)
        dtype = resolve_dtype(args.dtype, device)
        load_handlers(log)
        loaded = load_model(args.model, args.device, args.dtype)
    except Exception as exc:  # noqa: BLE001 - any start-up failure is reported as WorkerDead
        cause = f"start-up failed (model {args.model!r}, device {args.device!r}): {exc}"
        log.error(cause, exc_info=True)
        transport.send_now(pb.FromWorker(dead=pb.WorkerDead(cause=cause, traceback=traceback.format_exc())))
        transport.close()
        return 1
    if loaded:
        log.info("model loaded", model_id=loaded.model_id, dtype=str(loaded.dtype))
    else:
        log.info("no model loaded (--model none)")
    options = WorkerOptions(worker_id, args.heartbeat_ms, args.max_inflight, device=device, dtype=dtype, pool_key=pool_key)
    worker = Worker(transport, loaded, options, log, args.model)
    serving.set()
    code = worker.serve()
    transport.close()
    return code


if __name__ == "__main__":
    code = main()
    sys.stderr.flush()
    # Compute threads may sit inside a long torch call; do not wait for them at interpreter exit.
    os._exit(code)

"""JSON-lines logging on stdout, the worker's only stdout output.

`claim_stdout()` keeps the real stdout for log lines and points file descriptor 1 (and
`sys.stdout`) at stderr, so a stray print or a native library cannot corrupt the log stream the
orchestrator parses. Each line: {"time", "level", "msg", "worker_id", "request_id"?, ...fields}.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
import traceback
from typing import Any, TextIO

_lock = threading.Lock()
_out: TextIO = sys.stdout


def claim_stdout() -> None:
    global _out
    sys.stdout.flush()
    _out = os.fdopen(os.dup(1), "w", buffering=1, encoding="utf-8")
    os.dup2(2, 1)
    sys.stdout = sys.stderr


class Logger:
    def __init__(self, **bound: Any) -> None:
        self.bound = {k: v for k, v in bound.items() if v not in (None, "")}

    def bind(self, **fields: Any) -> "Logger":
        return Logger(**{**self.bound, **fields})

    def _write(self, level: str, msg: str, exc_info: bool = False, **fields: Any) -> None:
        line: dict[str, Any] = {"time": round(time.time() * 1000), "level": level, "msg": msg, **self.bound}
        line.update({k: v for k, v in fields.items() if v is not None})
        if exc_info:
            line["traceback"] = traceback.format_exc()
        text = json.dumps(line, default=str, ensure_ascii=False)
        with _lock:
            try:
                _out.write(text + "\n")
                _out.flush()
            except (BrokenPipeError, ValueError):
                pass  # parent gone or stream closed: nothing left to tell

    def debug(self, msg: str, **fields: Any) -> None:
        self._write("debug", msg, **fields)

    def info(self, msg: str, **fields: Any) -> None:
        self._write("info", msg, **fields)

    def warn(self, msg: str, **fields: Any) -> None:
        self._write("warn", msg, **fields)

    def error(self, msg: str, exc_info: bool = False, **fields: Any) -> None:
        self._write("error", msg, exc_info=exc_info, **fields)

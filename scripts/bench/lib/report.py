"""Shared benchmark reporting for Python benchmarks (../shared/benchmarks.md); mirrors report.ts."""
from __future__ import annotations

import datetime as _dt
import json
import math
import os
import platform
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def target(name: str, value: float | None, op: str, goal: float, why: str | None = None) -> dict:
    ok = value is not None and math.isfinite(value) and (value >= goal if op == ">=" else value <= goal)
    out = {"name": name, "value": value, "op": op, "target": goal, "met": bool(ok)}
    if why:
        out["why"] = why
    return out


def machine() -> dict:
    try:
        import torch
        tv = torch.__version__
    except Exception:  # torch is optional for some benches
        tv = None
    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    node = os.popen("node --version").read().strip() or None
    return {"cpus": os.cpu_count(), "model": model, "node": node, "python": platform.python_version(), "torch": tv}


def report(bench: str, quick: bool, results: list, targets: list, **extra) -> dict:
    obj = {"bench": bench, "mode": "quick" if quick else "full",
           "when": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
           "machine": machine(), "results": results, "targets": targets, **extra}
    out = ROOT / "docs" / "benchmarks"
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{bench}{'.quick' if quick else ''}.json").write_text(json.dumps(obj, indent=2) + "\n")
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()
    return obj

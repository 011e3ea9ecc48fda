#!/usr/bin/env bash
# Installs the official Python bittensor SDK (10.x: the last line with axon/dendrite) into its own venv
# .venv-bt. It is only the interop peer for test/interop and scripts/bench/axon; the worker venv never
# imports it. Idempotent: a stamp holding the pin skips the install when it is already there.
set -euo pipefail
cd "$(dirname "$0")/../.."
PYTHON=${PYTHON:-python3}
BT_VERSION=10.5.0
stamp=.venv-bt/.condense-bt-stamp
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$BT_VERSION" ] && .venv-bt/bin/python -c "import bittensor" 2>/dev/null; then
  exit 0
fi
[ -x .venv-bt/bin/python ] || "$PYTHON" -m venv .venv-bt
.venv-bt/bin/pip install -q --upgrade pip
.venv-bt/bin/pip install -q "bittensor==${BT_VERSION}"
.venv-bt/bin/python -c "import bittensor, sys; print('[setup] bittensor', bittensor.__version__, 'python', sys.version.split()[0])"
echo "$BT_VERSION" > "$stamp"

#!/usr/bin/env bash
# Installs the official Python bittensor SDK 11.x (no axon/dendrite; signed HTTP is `bittensor.http_auth`,
# scheme btauth/1) into its own venv .venv-bt11. It is only the interop peer and golden-vector source for
# test/interop/btauth*.test.ts; neither the worker venv nor .venv-bt (10.5) imports it.
# Idempotent: a stamp holding the pin skips the install when it is already there.
set -euo pipefail
cd "$(dirname "$0")/../.."
PYTHON=${PYTHON:-python3}
BT_VERSION=11.3.0
stamp=.venv-bt11/.condense-bt-stamp
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$BT_VERSION" ] && .venv-bt11/bin/python -c "import bittensor.http_auth" 2>/dev/null; then
  exit 0
fi
[ -x .venv-bt11/bin/python ] || "$PYTHON" -m venv .venv-bt11
.venv-bt11/bin/pip install -q --upgrade pip
.venv-bt11/bin/pip install -q "bittensor==${BT_VERSION}"
.venv-bt11/bin/python -c "import bittensor, bittensor.http_auth, sys; print('[setup] bittensor', bittensor.__version__, 'python', sys.version.split()[0])"
echo "$BT_VERSION" > "$stamp"
